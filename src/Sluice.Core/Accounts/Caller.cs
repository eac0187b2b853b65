using System.Net;

namespace Sluice.Accounts;

/// <summary>An authenticated request's account, the key it used and the address it came from.</summary>
public sealed record Caller(Account Account, ApiKey Key, IPAddress? ClientIp)
{
    public string Actor => Key.Id;

    public bool IsAtLeast(KeyRole role) => Key.Role >= role;
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
