using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Accounts;
using Sluice.Health;
using Sluice.Proxy;

namespace Sluice;

/// <summary>Source-generated JSON for the gateway's own wire types (snake_case, as OpenAI's API is).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelEntry))]
[JsonSerializable(typeof(AccountView))]
[JsonSerializable(typeof(CreateAccountRequest))]
[JsonSerializable(typeof(CreatedAccount))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(CreatedKey))]
[JsonSerializable(typeof(KeyView))]
[JsonSerializable(typeof(AccountList))]
[JsonSerializable(typeof(HealthReport))]
public sealed partial class SluiceJson : JsonSerializerContext
{
    /// <summary>The context the API writes with: like <see cref="JsonSerializerContext"/>'s default but without
    /// escaping quotes and non-ASCII text, which only matters for JSON embedded in HTML.</summary>
    public static SluiceJson Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
