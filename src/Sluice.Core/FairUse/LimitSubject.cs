using Sluice.Accounts;

namespace Sluice.FairUse;

/// <summary>What a limit applies to. Members (people of an account, once accounts have them) are one more kind: a
/// caller acting for a member is limited as that member too, by the same code.</summary>
public enum LimitSubjectKind
{
    Account,
    Key,
    Member,
}

/// <summary>One thing limits apply to, within an account: the account itself, one of its keys, or one of its members.</summary>
public readonly record struct LimitSubject(LimitSubjectKind Kind, string Id)
{
    public static LimitSubject Account(string accountId) => new(LimitSubjectKind.Account, accountId);

    public static LimitSubject Key(string keyId) => new(LimitSubjectKind.Key, keyId);

    /// <summary>The subjects a request counts against, most specific first.</summary>
    public static LimitSubject[] Of(Caller caller) => [Key(caller.Key.Id), Account(caller.Account.Id)];

    /// <summary>The subject's part of a RowKey; the account's own row needs no id (its partition names it).</summary>
    public string RowKey => Kind switch
    {
        LimitSubjectKind.Account => "account",
        LimitSubjectKind.Key => "key|" + Id,
        _ => "member|" + Id,
    };

    public static bool TryParseRowKey(string accountId, string rowKey, out LimitSubject subject)
    {
        subject = rowKey switch
        {
            "account" => Account(accountId),
            _ when rowKey.StartsWith("key|", StringComparison.Ordinal) => Key(rowKey[4..]),
            _ when rowKey.StartsWith("member|", StringComparison.Ordinal) => new(LimitSubjectKind.Member, rowKey[7..]),
            _ => default,
        };
        return subject.Id is not null;
    }

    /// <summary>"key", "account" or "member", as the API and messages name it.</summary>
    public string KindName => Kind switch
    {
        LimitSubjectKind.Account => "account",
        LimitSubjectKind.Key => "key",
        _ => "member",
    };
}
