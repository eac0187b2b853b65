using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using Sluice.Host.Dev;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Sluice.Testing.SignIn;

/// <summary>
/// The dev OpenID Connect provider (OpenIddict, on loopback) with the people the sign-in tests need. Some of them
/// make the provider misbehave the way a compromised or misconfigured provider could: the ID token is still issued
/// and signed by the provider, but for another audience, already expired, or with the nonce of an earlier sign-in.
/// It records every code and ID token it issues, so tests can prove none reaches a log.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string Name = "test";
    public const string DisplayName = "Test provider";
    public const string HomeTenant = "7b3f0c52-0d6c-4bb4-9c5e-000000000a11";
    public const string OtherTenant = "7b3f0c52-0d6c-4bb4-9c5e-000000000b22";
    public const string AllowedDomain = "example.com";

    public static readonly DevPerson Alice = new("alice", "alice@example.com", "Alice Example", TenantId: HomeTenant);
    public static readonly DevPerson WrongAudience = new("wrong-audience", "wa@example.com", "Wrong Audience", TenantId: HomeTenant);
    public static readonly DevPerson Expired = new("expired", "expired@example.com", "Expired Token", TenantId: HomeTenant);
    public static readonly DevPerson Replay = new("replay", "replay@example.com", "Replayed Nonce", TenantId: HomeTenant);
    public static readonly DevPerson Outsider = new("outsider", "outsider@example.com", "Other Tenant", TenantId: OtherTenant);
    public static readonly DevPerson OtherDomain = new("other-domain", "mallory@elsewhere.test", "Other Domain", TenantId: HomeTenant);
    public static readonly DevPerson Bob = new("bob", "bob@example.com", "Bob Example", TenantId: HomeTenant);
    public static readonly DevPerson Carol = new("carol", "carol@example.com", "Carol Example", TenantId: HomeTenant);
    public static readonly DevPerson Dave = new("dave", "dave@example.com", "Dave Example", TenantId: HomeTenant);
    public static readonly DevPerson Unverified = new("unverified", "unverified@example.com", "Unverified Email", EmailVerified: false, TenantId: HomeTenant);

    private readonly ConcurrentQueue<string> _issued = new();
    private readonly ConcurrentDictionary<string, string> _firstNonce = new(StringComparer.Ordinal);
    private DevIdentityProvider _provider = null!;

    private TestIdentityProvider()
    {
    }

    /// <summary>Every authorization code and ID token issued so far (secrets that must appear in no log).</summary>
    public IReadOnlyCollection<string> IssuedSecrets => _issued;

    public Uri Authority => _provider.Authority;

    public string ClientSecret => _provider.Options.ClientSecret;

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var test = new TestIdentityProvider();
        test._provider = await DevIdentityProvider.StartAsync(new DevIdentityProviderOptions
        {
            ClientId = "sluice-tests",
            People = [Alice, Bob, Carol, Dave, WrongAudience, Expired, Replay, Outsider, OtherDomain, Unverified],
            Configure = test.Configure,
        });
        return test;
    }

    /// <summary>Sluice's settings for this provider, limited to <see cref="HomeTenant"/> and <see cref="AllowedDomain"/>.</summary>
    public Dictionary<string, string?> Settings()
    {
        var settings = _provider.SignInSettings(Name, DisplayName);
        settings[$"Sluice:SignIn:Providers:{Name}:AllowedTenants:0"] = HomeTenant;
        settings[$"Sluice:SignIn:Providers:{Name}:AllowedEmailDomains:0"] = AllowedDomain;
        return settings;
    }

    private void Configure(OpenIddictServerBuilder server)
    {
        // After OpenIddict has prepared the ID token's claims, before it signs them.
        server.AddEventHandler<OpenIddictServerEvents.ProcessSignInContext>(handler => handler
            .SetOrder(OpenIddictServerHandlers.PrepareIdentityTokenPrincipal.Descriptor.Order + 1)
            .UseInlineHandler(context =>
            {
                if (context.IdentityTokenPrincipal is not { } token)
                {
                    return default;
                }
                var subject = token.GetClaim(Claims.Subject);
                if (subject == WrongAudience.Subject)
                {
                    token.SetAudiences("some-other-application");
                }
                else if (subject == Expired.Subject)
                {
                    var now = TimeProvider.System.GetUtcNow();
                    token.SetCreationDate(now.AddHours(-2)).SetExpirationDate(now.AddHours(-1));
                }
                else if (subject == Replay.Subject && token.GetClaim(Claims.Nonce) is { } nonce)
                {
                    // The first sign-in's nonce, sent again in every later ID token of this person.
                    var first = _firstNonce.GetOrAdd(subject, nonce);
                    token.SetClaim(Claims.Nonce, first);
                }
                return default;
            }));
        server.AddEventHandler<OpenIddictServerEvents.ApplyAuthorizationResponseContext>(handler => handler.UseInlineHandler(context =>
        {
            if (context.Response.Code is { } code)
            {
                _issued.Enqueue(code);
            }
            return default;
        }));
        server.AddEventHandler<OpenIddictServerEvents.ApplyTokenResponseContext>(handler => handler.UseInlineHandler(context =>
        {
            if (context.Response.IdToken is { } idToken)
            {
                _issued.Enqueue(idToken);
            }
            return default;
        }));
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
