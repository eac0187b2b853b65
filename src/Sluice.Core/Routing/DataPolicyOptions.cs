using Sluice.Accounts;

namespace Sluice.Routing;

/// <summary>The deployment's default upstream data policy (<c>Sluice__DataPolicy__*</c>).</summary>
public sealed class DataPolicyOptions
{
    public const string Section = "Sluice:DataPolicy";

    /// <summary>Only routes whose upstream processes data in this stamp's data region.</summary>
    public bool InRegionOnly { get; set; } = true;

    /// <summary>Only routes whose provider retains nothing.</summary>
    public bool ZeroRetentionOnly { get; set; }

    /// <summary>Allow routes whose provider may (or might) train on the data.</summary>
    public bool AllowTraining { get; set; }

    /// <summary>When true the defaults are also floors: an account cannot choose a looser policy.</summary>
    public bool EnforceAsFloor { get; set; }

    public DataPolicy ToPolicy() => new(InRegionOnly, ZeroRetentionOnly, AllowTraining);
}
