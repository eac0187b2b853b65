using System.ComponentModel.DataAnnotations;

namespace Sluice.Accounts;

/// <summary>Account lifecycle settings (<c>Sluice__Accounts__*</c>).</summary>
public sealed class AccountOptions : IValidatableObject
{
    public const string Section = "Sluice:Accounts";

    /// <summary>Days a closed (expired) account's data is kept before it is purged.</summary>
    [Range(0, 3650)] public int ExpiredRetentionDays { get; set; } = 30;

    /// <summary>Days a suspended account can be reinstated before it is closed.</summary>
    [Range(0, 3650)] public int SuspensionGraceDays { get; set; } = 14;

    /// <summary>How long a key or account lookup is cached per instance. Revoking a key or suspending an account
    /// takes effect at once on the instance that did it and within this time on others.</summary>
    public TimeSpan AuthCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Failed authentications (unknown or malformed keys, wrong operator secrets) one source address may make
    /// within <see cref="FailedAuthWindow"/> before it is answered 429; the budget refills evenly over the window.</summary>
    [Range(1, 100_000)] public int FailedAuthLimit { get; set; } = 20;

    public TimeSpan FailedAuthWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many unknown key hashes an instance remembers (each for <see cref="AuthCacheTtl"/>) so repeating a
    /// wrong key does not cost a storage read per request. A bound, not a target: a flood of random keys cannot grow it.</summary>
    [Range(0, 10_000_000)] public int UnknownKeyCacheSize { get; set; } = 10_000;

    /// <summary>Identical audited actions (same actor, action, target, source address and details) within one window
    /// of this length are one audit entry with a count and the first and last time. Windows are aligned to UTC
    /// (a one-minute window is each clock minute); zero turns coalescing off. At most an hour, and a divisor of one,
    /// so a window never spans two days of the audit retention.</summary>
    public TimeSpan AuditCoalesceWindow { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FailedAuthWindow <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Sluice:Accounts:FailedAuthWindow must be positive (for example 00:01:00).", [nameof(FailedAuthWindow)]);
        }
        var window = AuditCoalesceWindow;
        if (window < TimeSpan.Zero || window > AuditLog.MaxCoalesceWindow || (window > TimeSpan.Zero && AuditLog.MaxCoalesceWindow.Ticks % window.Ticks != 0))
        {
            yield return new ValidationResult("Sluice:Accounts:AuditCoalesceWindow must be zero or divide one hour evenly (for example 00:01:00).",
                [nameof(AuditCoalesceWindow)]);
        }
    }
}
