using Sluice.Accounts;
using Sluice.Providers;

namespace Sluice.Routing;

/// <summary>
/// A <see cref="DataPolicy"/> held against a route's data facts. It lives with routing, not beside the policy, because
/// the facts belong to providers' routes and an account's values must not depend on them.
/// </summary>
public static class DataPolicyViolation
{
    /// <summary>The name of the first policy rule that forbids <paramref name="facts"/> in <paramref name="stampRegion"/>,
    /// or null when the route is allowed.</summary>
    public static string? Violation(this DataPolicy policy, RouteDataFacts facts, string stampRegion)
    {
        if (policy.InRegionOnly && !string.Equals(facts.Region, stampRegion, StringComparison.Ordinal))
        {
            return "in_region_only";
        }
        if (policy.ZeroRetentionOnly && facts.Retention != UpstreamRetention.None)
        {
            return "zero_retention_only";
        }
        if (!policy.AllowTraining && facts.Training != UpstreamTraining.No)
        {
            return "allow_training=false";
        }
        return null;
    }
}
