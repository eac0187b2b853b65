using System.ComponentModel.DataAnnotations;

namespace Sluice.Accounts;

/// <summary>Account lifecycle settings (<c>Sluice__Accounts__*</c>).</summary>
public sealed class AccountOptions
{
    public const string Section = "Sluice:Accounts";

    /// <summary>Days a closed (expired) account's data is kept before it is purged.</summary>
    [Range(0, 3650)] public int ExpiredRetentionDays { get; set; } = 30;

    /// <summary>Days a suspended account can be reinstated before it is closed.</summary>
    [Range(0, 3650)] public int SuspensionGraceDays { get; set; } = 14;

    /// <summary>How long a key or account lookup is cached per instance. Revoking a key or suspending an account
    /// takes effect at once on the instance that did it and within this time on others.</summary>
    public TimeSpan AuthCacheTtl { get; set; } = TimeSpan.FromSeconds(30);
}
