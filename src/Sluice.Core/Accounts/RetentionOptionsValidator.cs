using Microsoft.Extensions.Options;

namespace Sluice.Accounts;

/// <summary>Checks that the retention settings agree with each other, at start-up, so a deployment with a default
/// outside its own bounds or a tier list that cannot cover the longest period never starts.</summary>
internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions o)
    {
        var errors = new List<string>();
        if (o.MinContentRetentionDays > o.MaxContentRetentionDays
            || o.DefaultContentRetentionDays < o.MinContentRetentionDays || o.DefaultContentRetentionDays > o.MaxContentRetentionDays)
        {
            errors.Add("Sluice:Retention content days need MinContentRetentionDays <= DefaultContentRetentionDays <= MaxContentRetentionDays.");
        }
        if (o.MinUsageRetentionDays > o.MaxUsageRetentionDays
            || o.DefaultUsageRetentionDays < o.MinUsageRetentionDays || o.DefaultUsageRetentionDays > o.MaxUsageRetentionDays)
        {
            errors.Add("Sluice:Retention usage days need MinUsageRetentionDays <= DefaultUsageRetentionDays <= MaxUsageRetentionDays.");
        }
        if (o.DefaultContentRetentionDays > o.DefaultUsageRetentionDays)
        {
            errors.Add("Sluice:Retention:DefaultContentRetentionDays must not exceed DefaultUsageRetentionDays: content never outlives its metadata row.");
        }
        if (o.MinContentRetentionDays > o.MaxUsageRetentionDays)
        {
            errors.Add("Sluice:Retention:MinContentRetentionDays must not exceed MaxUsageRetentionDays.");
        }
        try
        {
            var tiers = o.ParsedTiers();
            if (tiers.Count == 0 || tiers[^1] < o.MaxContentRetentionDays)
            {
                errors.Add($"Sluice:Retention:LifecycleTiers must include a tier of at least MaxContentRetentionDays ({o.MaxContentRetentionDays}), so the storage backstop never deletes content early.");
            }
        }
        catch (FormatException)
        {
            errors.Add("Sluice:Retention:LifecycleTiers must be comma-separated whole numbers of days, e.g. 1,7,30,90,180,365.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
