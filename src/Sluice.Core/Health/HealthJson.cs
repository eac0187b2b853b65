using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Wire;

namespace Sluice.Health;

/// <summary>Source-generated JSON for the health report.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HealthReport))]
internal sealed partial class HealthJson : JsonSerializerContext
{
    /// <summary>The context the API writes with: like <see cref="JsonSerializerContext"/>'s default but without
    /// escaping quotes and non-ASCII text, which only matters for JSON embedded in HTML.</summary>
    public static HealthJson Wire { get; } = new(WireJson.ApiOptions());
}
