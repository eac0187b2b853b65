using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Wire;
using Sluice.Accounts;

namespace Sluice;

/// <summary>Source-generated JSON for the hosts: the operator CLI prints accounts and keys with it. Each folder writes
/// its own API with its own context (<c>WireJson</c>, <c>AccountsJson</c>, …), all with these same options.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AccountView))]
[JsonSerializable(typeof(CreatedAccount))]
[JsonSerializable(typeof(CreatedKey))]
[JsonSerializable(typeof(KeyView))]
[JsonSerializable(typeof(AccountList))]
public sealed partial class SluiceJson : JsonSerializerContext
{
    /// <summary>The context the API writes with: like <see cref="JsonSerializerContext"/>'s default but without
    /// escaping quotes and non-ASCII text, which only matters for JSON embedded in HTML.</summary>
    public static SluiceJson Wire { get; } = new(WireJson.ApiOptions());
}
