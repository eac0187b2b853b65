using System.Net;
using Microsoft.AspNetCore;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Sluice.Host.Dev;

/// <summary>A person the dev provider can sign in. <see cref="TenantId"/> is sent as Entra ID's <c>tid</c>.</summary>
public sealed record DevPerson(string Subject, string Email, string Name, bool EmailVerified = true, string? TenantId = null);

/// <summary>What the dev provider serves: its people, its one client, and (tests) extra server configuration.</summary>
public sealed class DevIdentityProviderOptions
{
    public IReadOnlyList<DevPerson> People { get; init; } = [DevIdentityProvider.DemoPerson];

    public string ClientId { get; init; } = "sluice-dev";

    /// <summary>The client secret; a fresh random one per run unless given.</summary>
    public string ClientSecret { get; init; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    /// <summary>Extra OpenIddict server configuration, e.g. event handlers that tests use to make the provider misbehave.</summary>
    public Action<OpenIddictServerBuilder>? Configure { get; init; }
}

/// <summary>
/// A real OpenID Connect provider on loopback for <c>dev</c> runs and tests: OpenIddict's server (authorization code
/// flow with PKCE, signed ID tokens, discovery and JWKS documents) in degraded mode (no database: one client, checked
/// here). Its login page lists its people; choosing one signs them in, with no password and no cookie of its own.
/// It lives in the local host only: the Azure Functions app does not reference this project.
/// </summary>
public sealed class DevIdentityProvider : IAsyncDisposable
{
    public static readonly DevPerson DemoPerson = new("demo", "demo@sluice.local", "Demo Person");

    /// <summary>The form field of the login page that names the chosen person.</summary>
    public const string PersonField = "sluice_dev_person";

    private readonly WebApplication _app;

    private DevIdentityProvider(WebApplication app, Uri authority, DevIdentityProviderOptions options)
    {
        _app = app;
        Authority = authority;
        Options = options;
    }

    /// <summary>The issuer, e.g. <c>http://127.0.0.1:40123/</c>; its discovery document is under <c>.well-known/</c>.</summary>
    public Uri Authority { get; }

    public DevIdentityProviderOptions Options { get; }

    /// <summary>The settings that make Sluice trust this provider under <paramref name="name"/>.</summary>
    public Dictionary<string, string?> SignInSettings(string name, string displayName) => new()
    {
        [$"Sluice:SignIn:Providers:{name}:DisplayName"] = displayName,
        [$"Sluice:SignIn:Providers:{name}:Authority"] = Authority.ToString(),
        [$"Sluice:SignIn:Providers:{name}:ClientId"] = Options.ClientId,
        [$"Sluice:SignIn:Providers:{name}:ClientSecret"] = Options.ClientSecret,
    };

    public static async Task<DevIdentityProvider> StartAsync(DevIdentityProviderOptions options, CancellationToken cancellationToken = default)
    {
        // An empty builder: none of the Sluice host's configuration (its Urls, its settings) applies here.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        builder.Services.AddLogging();
        builder.Services.AddOpenIddict().AddServer(server =>
        {
            server.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token");
            server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
            server.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email);
            server.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
            server.DisableAccessTokenEncryption();
            server.EnableDegradedMode().DisableTokenStorage().DisableAuthorizationStorage();
            server.UseAspNetCore().EnableAuthorizationEndpointPassthrough().DisableTransportSecurityRequirement();
            server.AddEventHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>(handler => handler.UseInlineHandler(context =>
            {
                if (context.ClientId != options.ClientId)
                {
                    context.Reject(Errors.InvalidClient, "Unknown client_id.");
                }
                else if (!IsLoopbackCallback(context.RedirectUri))
                {
                    context.Reject(Errors.InvalidRequest, "redirect_uri must be a loopback /dashboard/signin/{provider}/callback URL.");
                }
                return default;
            }));
            server.AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(handler => handler.UseInlineHandler(context =>
            {
                if (context.ClientId != options.ClientId || context.ClientSecret != options.ClientSecret)
                {
                    context.Reject(Errors.InvalidClient, "Unknown client or wrong client secret.");
                }
                return default;
            }));
            options.Configure?.Invoke(server);
        });

        var app = builder.Build();
        app.UseRouting();
        app.UseAuthentication();
        app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], (HttpContext context) => Authorize(context, options.People));
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DevIdentityProvider(app, new Uri(address.TrimEnd('/') + "/"), options);
    }

    private static bool IsLoopbackCallback(string? redirectUri) =>
        Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) && uri.IsLoopback
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.AbsolutePath.StartsWith("/dashboard/signin/", StringComparison.Ordinal) && uri.AbsolutePath.EndsWith("/callback", StringComparison.Ordinal);

    /// <summary>The authorization endpoint (OpenIddict has validated the request): the login page, or the sign-in of
    /// the person chosen on it.</summary>
    private static IResult Authorize(HttpContext context, IReadOnlyList<DevPerson> people)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var chosen = (string?)request[PersonField];
        if (people.FirstOrDefault(p => p.Subject == chosen) is not { } person)
        {
            return LoginPage(request, people);
        }
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, person.Subject)
            .SetClaim(Claims.Email, person.Email)
            .SetClaim(Claims.Name, person.Name);
        identity.AddClaim(new Claim(Claims.EmailVerified, person.EmailVerified ? "true" : "false", ClaimValueTypes.Boolean));
        if (person.TenantId is not null)
        {
            identity.SetClaim("tid", person.TenantId);
        }
        identity.SetScopes(request.GetScopes());
        identity.SetDestinations(_ => [Destinations.IdentityToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>One button per person; the form posts the authorization request back with the choice added.</summary>
    private static IResult LoginPage(OpenIddictRequest request, IReadOnlyList<DevPerson> people)
    {
        var html = HtmlEncoder.Default;
        var fields = string.Concat(request.GetParameters()
            .Where(p => p.Key != PersonField)
            .Select(p => $"<input type=\"hidden\" name=\"{html.Encode(p.Key)}\" value=\"{html.Encode((string?)p.Value ?? "")}\">"));
        var buttons = string.Concat(people.Select(p =>
            $"<li><button type=\"submit\" name=\"{PersonField}\" value=\"{html.Encode(p.Subject)}\">Sign in as {html.Encode(p.Name)} ({html.Encode(p.Email)})</button></li>"));
        var page = $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sluice dev sign-in</title></head>
            <body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem">
            <h1>Sluice dev sign-in</h1>
            <p>A local OpenID Connect provider for <code>dev</code> runs and tests only. Choose who to be:</p>
            <form method="post" action="/connect/authorize">{fields}<ul style="list-style: none; padding: 0">{buttons}</ul></form>
            </body></html>
            """;
        return Results.Content(page, "text/html; charset=utf-8");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
