namespace Sluice.Routing;

/// <summary>
/// Which upstream routes may see an account's prompts. Policies combine by tightening only: a route is allowed
/// when every policy in force allows it.
/// </summary>
public sealed record DataPolicy(bool InRegionOnly, bool ZeroRetentionOnly, bool AllowTraining)
{
    /// <summary>The strictest combination of two policies.</summary>
    public DataPolicy Tighten(DataPolicy other) => new(
        InRegionOnly || other.InRegionOnly,
        ZeroRetentionOnly || other.ZeroRetentionOnly,
        AllowTraining && other.AllowTraining);

    /// <summary>Whether this policy is at least as strict as <paramref name="floor"/>.</summary>
    public bool IsAtLeastAsStrictAs(DataPolicy floor) => Tighten(floor) == this;

    /// <summary>The name of the first policy rule that forbids <paramref name="facts"/> in <paramref name="stampRegion"/>,
    /// or null when the route is allowed.</summary>
    public string? Violation(RouteDataFacts facts, string stampRegion)
    {
        if (InRegionOnly && !string.Equals(facts.Region, stampRegion, StringComparison.Ordinal))
        {
            return "in_region_only";
        }
        if (ZeroRetentionOnly && facts.Retention != UpstreamRetention.None)
        {
            return "zero_retention_only";
        }
        if (!AllowTraining && facts.Training != UpstreamTraining.No)
        {
            return "allow_training=false";
        }
        return null;
    }
}
