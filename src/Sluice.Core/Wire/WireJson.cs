using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Wire;

/// <summary>Source-generated JSON for the OpenAI-shaped error body every API writes (snake_case, as OpenAI's API is).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorEnvelope))]
internal sealed partial class WireJson : JsonSerializerContext
{
    /// <summary>The context the API writes with: like <see cref="JsonSerializerContext"/>'s default but without
    /// escaping quotes and non-ASCII text, which only matters for JSON embedded in HTML.</summary>
    public static WireJson Wire { get; } = new(ApiOptions());

    /// <summary>The options every API's context writes with (each context needs its own instance): snake_case, nulls
    /// left out, and no escaping of quotes and non-ASCII text, which only matters for JSON embedded in HTML.</summary>
    internal static JsonSerializerOptions ApiOptions(JsonUnmappedMemberHandling unmappedMembers = JsonUnmappedMemberHandling.Skip) => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = unmappedMembers,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
