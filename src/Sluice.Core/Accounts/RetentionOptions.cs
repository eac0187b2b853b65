using System.ComponentModel.DataAnnotations;

namespace Sluice.Accounts;

/// <summary>
/// Deployment-wide retention settings, tuned in app settings (<c>Sluice__Retention__*</c>): the policy a new account
/// gets, the bounds accounts choose within (values outside them are refused with a 400 that states the allowed
/// range), and how content is kept for them (lifecycle tiers, stored size). The purge's own settings, bound from the
/// same section, are the Retention folder's <c>PurgeOptions</c>.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Sluice:Retention";

    /// <summary><c>metadata_only</c> (default) or <c>retain_all</c>: the content mode of a new account.</summary>
    [RegularExpression("^(metadata_only|retain_all)$")]
    public string DefaultContentMode { get; set; } = "metadata_only";

    [Range(0, 365)] public int DefaultContentRetentionDays { get; set; } = 30;
    [Range(0, 365)] public int MinContentRetentionDays { get; set; }
    [Range(0, 365)] public int MaxContentRetentionDays { get; set; } = 365;

    [Range(1, 365)] public int DefaultUsageRetentionDays { get; set; } = 90;
    [Range(1, 365)] public int MinUsageRetentionDays { get; set; } = 1;
    [Range(1, 365)] public int MaxUsageRetentionDays { get; set; } = 365;

    /// <summary>Comma-separated lifecycle tiers in days. Each payload blob is tagged with the smallest tier at least
    /// its content retention; the storage account's lifecycle policy has one delete rule per tier as a backstop.</summary>
    [Required, RegularExpression(@"^\d{1,3}(,\d{1,3})*$")]
    public string LifecycleTiers { get; set; } = "1,7,30,90,180,365";

    /// <summary>Largest stored copy of one request's content (request and response each); longer content is
    /// stored truncated and marked so, while the client still receives everything.</summary>
    [Range(1024, 64 * 1024 * 1024)] public int PayloadMaxBytes { get; set; } = 1024 * 1024;

    public IReadOnlyList<int> ParsedTiers() =>
        [.. LifecycleTiers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(int.Parse).Distinct().Order()];

    public RetentionPolicy DefaultPolicy()
    {
        return new RetentionPolicy(ContentModeNames.ParseOrMetadataOnly(DefaultContentMode), DefaultContentRetentionDays, DefaultUsageRetentionDays);
    }
}
