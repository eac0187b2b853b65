using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Wire;

namespace Sluice.Usage;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Dictionary<string, long[]>))]
[JsonSerializable(typeof(UsageRowView))]
[JsonSerializable(typeof(RollupView))]
internal sealed partial class UsageJson : JsonSerializerContext
{
    public static UsageJson Wire { get; } = new(WireJson.ApiOptions());
}
