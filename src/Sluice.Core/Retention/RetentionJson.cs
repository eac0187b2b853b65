using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Wire;
using Sluice.Accounts;

namespace Sluice.Retention;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyDictionary<string, long>))]
[JsonSerializable(typeof(PurgeRunResult))]
[JsonSerializable(typeof(RetentionSettingsRequest))]
[JsonSerializable(typeof(RetentionSettingsView))]
[JsonSerializable(typeof(ContentErasureView))]
[JsonSerializable(typeof(StoredRequestView))]
[JsonSerializable(typeof(Sluice.Accounts.AccountView))]
[JsonSerializable(typeof(Sluice.Accounts.AuditEntry))]
internal sealed partial class RetentionJson : JsonSerializerContext
{
    public static RetentionJson Wire { get; } = new(WireJson.ApiOptions());
}
