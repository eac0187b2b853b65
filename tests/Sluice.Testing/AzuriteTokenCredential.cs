using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Text.Json;
using Azure.Core;

namespace Sluice.Testing;

/// <summary>
/// Stands in for <c>ManagedIdentityCredential</c> against Azurite: a <see cref="TokenCredential"/> that mints, for the
/// scope a client asks for, the Entra ID access token Azurite's <c>--oauth basic</c> checks (audience from the scope,
/// an Entra issuer, current <c>iat</c>/<c>nbf</c>/<c>exp</c>; Azurite does not check signatures). The clients under test
/// take it through the same <see cref="TokenCredential"/> seam, and send it as <c>Authorization: Bearer</c> exactly as
/// they would a managed identity's token. Every scope asked for is kept, so tests can check the audience.
/// </summary>
public sealed class AzuriteTokenCredential : TokenCredential
{
    private const string Tenant = "72f988bf-0000-4000-8000-00000000a2e1";
    private static readonly TimeSpan s_lifetime = TimeSpan.FromHours(1);

    /// <summary>The scopes of every token request, in order.</summary>
    public ConcurrentQueue<string> Scopes { get; } = new();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        Mint(requestContext);

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Mint(requestContext));

    private AccessToken Mint(TokenRequestContext context)
    {
        if (context.Scopes is not [var scope])
        {
            throw new InvalidOperationException($"Storage clients ask for one scope; this request asked for {context.Scopes.Length}.");
        }
        Scopes.Enqueue(scope);
        const string suffix = "/.default";
        var audience = scope.EndsWith(suffix, StringComparison.Ordinal) ? scope[..^suffix.Length] : scope;
        // Azurite compares the token's times with its own clock, the wall clock.
        var now = TimeProvider.System.GetUtcNow();
        var expires = now + s_lifetime;
        var header = Encode(new Dictionary<string, object> { ["alg"] = "RS256", ["typ"] = "JWT" });
        var payload = Encode(new Dictionary<string, object>
        {
            ["aud"] = audience,
            ["iss"] = $"https://sts.windows.net/{Tenant}/",
            ["iat"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["nbf"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["tid"] = Tenant,
            ["oid"] = "5ce1b0e0-0000-4000-8000-0000000000a1",
            ["idtyp"] = "app",
        });
        return new AccessToken($"{header}.{payload}.{Base64Url.EncodeToString("not-signed"u8)}", expires);
    }

    private static string Encode(Dictionary<string, object> claims) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
}
