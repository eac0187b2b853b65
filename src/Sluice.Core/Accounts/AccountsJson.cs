using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>Source-generated JSON for the account, key, audit and operator lifecycle APIs (snake_case).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyDictionary<string, long>))]
[JsonSerializable(typeof(AccountView))]
[JsonSerializable(typeof(CloseAccountRequest))]
[JsonSerializable(typeof(SuspendAccountRequest))]
[JsonSerializable(typeof(LegalHoldRequest))]
[JsonSerializable(typeof(IpAllowlistRequest))]
[JsonSerializable(typeof(IpAllowlistView))]
[JsonSerializable(typeof(MemberBoundaryView))]
[JsonSerializable(typeof(UpdateKeyRequest))]
[JsonSerializable(typeof(KeyList))]
[JsonSerializable(typeof(KeyView))]
[JsonSerializable(typeof(AuditList))]
[JsonSerializable(typeof(CreateAccountRequest))]
[JsonSerializable(typeof(CreatedAccount))]
[JsonSerializable(typeof(AccountList))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(CreatedKey))]
internal sealed partial class AccountsJson : JsonSerializerContext
{
    /// <summary>The context the API writes with: relaxed escaping, as <see cref="Sluice.Wire.WireJson.Wire"/>.</summary>
    public static AccountsJson Wire { get; } = new(WireJson.ApiOptions());
}
