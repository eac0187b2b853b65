namespace Sluice.Accounts;

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
}
