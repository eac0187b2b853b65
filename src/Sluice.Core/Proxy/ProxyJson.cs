using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Wire;

namespace Sluice.Proxy;

/// <summary>Source-generated JSON for the model list (snake_case, as OpenAI's API is).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelEntry))]
internal sealed partial class ProxyJson : JsonSerializerContext
{
    /// <summary>The context the API writes with: like <see cref="JsonSerializerContext"/>'s default but without
    /// escaping quotes and non-ASCII text, which only matters for JSON embedded in HTML.</summary>
    public static ProxyJson Wire { get; } = new(WireJson.ApiOptions());
}
