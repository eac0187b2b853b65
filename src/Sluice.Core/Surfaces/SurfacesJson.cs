using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Providers;
using Sluice.Wire;

namespace Sluice.Surfaces;

/// <summary>Anthropic's error body: <c>{"type":"error","error":{"type","message"}}</c>.</summary>
public sealed record AnthropicErrorEnvelope(string Type, AnthropicError Error);

public sealed record AnthropicError(string Type, string Message);

/// <summary>Source-generated JSON for the surfaces' own wire types (snake_case).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AnthropicErrorEnvelope))]
internal sealed partial class SurfacesJson : JsonSerializerContext
{
    /// <summary>Like the default context, without escaping quotes and non-ASCII text (see <see cref="Sluice.Wire.WireJson.ApiOptions"/>).</summary>
    public static SurfacesJson Wire { get; } = new(Sluice.Wire.WireJson.ApiOptions());
}
