using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Wire;

namespace Sluice.Routing;

/// <summary>Source-generated JSON for the data-policy API. Unknown fields are refused, so a misspelt setting is a
/// 400 rather than a policy silently left unchanged.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(DataPolicyUpdate))]
[JsonSerializable(typeof(DataPolicyResponse))]
internal sealed partial class RoutingJson : JsonSerializerContext
{
    public static RoutingJson Wire { get; } = new(WireJson.ApiOptions(JsonUnmappedMemberHandling.Disallow));
}

/// <summary>A <c>PUT /v1/account/data-policy</c> body. A setting left out keeps its current value.</summary>
public sealed record DataPolicyUpdate(bool? InRegionOnly, bool? ZeroRetentionOnly, bool? AllowTraining);

/// <summary>The account's data policy as the API shows it: the settings in force (before any request header
/// tightens them), whether they are the account's own or the deployment's, and the deployment's defaults.</summary>
public sealed record DataPolicyResponse(
    string Object,
    bool InRegionOnly,
    bool ZeroRetentionOnly,
    bool AllowTraining,
    string Source,
    string DataRegion,
    DeploymentDataPolicy Deployment);

public sealed record DeploymentDataPolicy(bool InRegionOnly, bool ZeroRetentionOnly, bool AllowTraining, bool EnforcedAsFloor);
