using System.Net;

namespace Sluice.Accounts;

/// <summary>
/// An authenticated request's account, who acts (a gateway key, or a member signed in to the dashboard) and the
/// address it came from. Both kinds carry one <see cref="KeyRole"/> and are checked by the same rules.
/// </summary>
public sealed record Caller
{
    private readonly ApiKey? _key;

    public Caller(Account account, ApiKey key, IPAddress? clientIp) => (Account, _key, ClientIp) = (account, key, clientIp);

    public Caller(Account account, Member member, IPAddress? clientIp) => (Account, Member, ClientIp) = (account, member, clientIp);

    public Account Account { get; init; }

    /// <summary>The key of a key caller. Members never call models, so only key paths (the proxy) read it.</summary>
    public ApiKey Key => _key ?? throw new InvalidOperationException("This caller is a member, not a key.");

    public Member? Member { get; }

    public IPAddress? ClientIp { get; }

    /// <summary>Who the audit log says acted: the key's id or the member's id.</summary>
    public string Actor => Member?.Id ?? Key.Id;

    public KeyRole Role => Member?.Role ?? Key.Role;

    public bool IsAtLeast(KeyRole role) => Role >= role;
}

/// <summary>What a request wants to do, which decides the account states it may do it in.</summary>
public enum CallerPurpose
{
    /// <summary>Call a model: active accounts only.</summary>
    Proxy,

    /// <summary>Read or change the account: active accounts only.</summary>
    Manage,

    /// <summary>Read the account's own data (status, keys, audit, export): also allowed to the Owner and Admins while a
    /// voluntarily closed account awaits its purge, so closing an account is not a trap. Never while suspended, nor
    /// after a suspension ran out unresolved, nor once the expired-retention period has ended.</summary>
    ReadOwnData,
}
