using Sluice.Accounts;

namespace Sluice.FairUse;

/// <summary>What a limit applies to. A member (a person of the account) is limited across the keys they created from
/// the dashboard (<see cref="ApiKey.CreatedByMember"/>) and their own signed-in calls, by the same code as a key.</summary>
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

    /// <summary>A member, by <see cref="Sluice.Accounts.Member.Id"/> (<c>mem_…</c>).</summary>
    public static LimitSubject Member(string memberId) => new(LimitSubjectKind.Member, memberId);

    /// <summary>The subjects a request counts against, most specific first: the key, the member who created it (if a
    /// member did), the account; or, for a signed-in member acting themselves, the member and the account.</summary>
    public static LimitSubject[] Of(Caller caller) => caller.Member is { } member
        ? [Member(member.Id), Account(caller.Account.Id)]
        : caller.Key.CreatedByMember is { } creator
            ? [Key(caller.Key.Id), Member(creator), Account(caller.Account.Id)]
            : [Key(caller.Key.Id), Account(caller.Account.Id)];

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
            _ when rowKey.StartsWith("member|", StringComparison.Ordinal) => Member(rowKey[7..]),
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
