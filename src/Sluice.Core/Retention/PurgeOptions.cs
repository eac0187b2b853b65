using System.ComponentModel.DataAnnotations;

namespace Sluice.Retention;

/// <summary>
/// How the purge runs (<c>Sluice__Retention__*</c>: the same section as the account retention bounds in
/// <see cref="Sluice.Accounts.RetentionOptions"/>, so no setting changed its name when the two were split).
/// </summary>
public sealed class PurgeOptions : IValidatableObject
{
    public const string Section = "Sluice:Retention";

    /// <summary>Days daily rollups are kept; longer than any row so billing history survives row purges.</summary>
    [Range(1, 3650)] public int RollupRetentionDays { get; set; } = 400;

    /// <summary>Days audit-log entries are kept.</summary>
    [Range(1, 3650)] public int AuditRetentionDays { get; set; } = 365;

    /// <summary>How long after a UTC day ends its rollups are materialised. A request that began before midnight is
    /// metered on its start day when it ends, so a day is only closed once its longest requests have finished.</summary>
    public TimeSpan RollupCloseDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Entities or blobs handled per storage batch in a purge run (a table transaction holds at most 100).</summary>
    [Range(1, 100)] public int PurgeBatchSize { get; set; } = 100;

    /// <summary>Upper bound of deletions in one purge run; a run that reaches it stops and the next run resumes.</summary>
    [Range(1, 10_000_000)] public int MaxDeletesPerRun { get; set; } = 200_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RollupCloseDelay < TimeSpan.Zero || RollupCloseDelay > TimeSpan.FromDays(1))
        {
            yield return new ValidationResult("Sluice:Retention:RollupCloseDelay must be between 00:00:00 and 1.00:00:00.", [nameof(RollupCloseDelay)]);
        }
    }
}
