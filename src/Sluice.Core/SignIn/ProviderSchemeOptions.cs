using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Sluice.SignIn;

/// <summary>
/// Configures the OpenID Connect scheme of each provider in <see cref="SignInOptions.Providers"/>: the authorization
/// code flow with PKCE, state and nonce, the ID token validated by ASP.NET Core's handler and Microsoft.IdentityModel
/// (issuer, audience = client id, signature from the provider's published keys, lifetime on the injected clock,
/// nonce), then <see cref="SignInEvents"/> for Sluice's own rules and pages.
/// </summary>
internal sealed class ProviderSchemeOptions(IOptions<SignInOptions> signIn, SignInCookieSecurity security, TimeProvider time)
    : IConfigureNamedOptions<OpenIdConnectOptions>
{
    public void Configure(OpenIdConnectOptions options) { }

    public void Configure(string? name, OpenIdConnectOptions options)
    {
        if (!SignInSchemes.TryGetProvider(name, out var provider) || !signIn.Value.Providers.TryGetValue(provider, out var settings))
        {
            return;
        }
        options.Authority = settings.Authority?.ToString();
        // The dev and test providers run on http://127.0.0.1; the validator allows plain http on loopback only.
        options.RequireHttpsMetadata = settings.Authority?.IsLoopback != true;
        options.ClientId = settings.ClientId;
        options.ClientSecret = settings.ClientSecret;

        // Authorization code flow with PKCE. The answer comes back in the query of a top-level GET (not form_post), so
        // the correlation and nonce cookies can be SameSite=Lax instead of SameSite=None.
        options.ResponseType = OpenIdConnectResponseType.Code;
        options.ResponseMode = OpenIdConnectResponseMode.Query;
        options.UsePkce = true;
        options.Scope.Clear();
        options.Scope.Add(OpenIdConnectScope.OpenId);
        options.Scope.Add("profile");
        options.Scope.Add(OpenIdConnectScope.Email);
        options.CallbackPath = SignInSchemes.CallbackPath(provider);
        options.SignInScheme = SignInSchemes.Session;

        // The session keeps the person, not the provider's tokens, and the ID token's claims are used as named.
        options.SaveTokens = false;
        options.GetClaimsFromUserInfoEndpoint = false;
        options.MapInboundClaims = false;
        // The handler's default claim actions delete "iss" and others from the principal after TokenValidated; the
        // principal is Sluice's own by then (SignedInPerson), and its issuer is part of who the person is.
        options.ClaimActions.Clear();
        // No x-client-SKU / x-client-ver parameters on the way to the provider: Sluice sends no telemetry.
        options.DisableTelemetry = true;

        options.TimeProvider = time;
        options.RemoteAuthenticationTimeout = SignInCookies.SignInAttemptLifetime;
        options.ProtocolValidator.NonceLifetime = SignInCookies.SignInAttemptLifetime;
        Scope(options.CorrelationCookie, SignInCookies.CorrelationPrefix);
        Scope(options.NonceCookie, SignInCookies.NoncePrefix);

        var validation = options.TokenValidationParameters;
        validation.NameClaimType = "name";
        validation.RequireSignedTokens = true;
        validation.RequireExpirationTime = true;
        validation.LifetimeValidator = ValidateLifetime;
        validation.IssuerValidatorUsingConfiguration = ValidateIssuer;

        options.Events = new SignInEvents(provider, settings);
    }

    private void Scope(CookieBuilder cookie, string name)
    {
        cookie.Name = name;
        cookie.Path = SignInCookies.Path;
        cookie.HttpOnly = true;
        cookie.SameSite = SameSiteMode.Lax;
        cookie.SecurePolicy = security.Policy;
        cookie.IsEssential = true;
    }

    /// <summary>The token's lifetime against the injected clock (Microsoft.IdentityModel's own check reads the
    /// system clock), with the library's default five-minute skew.</summary>
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (expires is null)
        {
            throw new SecurityTokenNoExpirationException("The ID token has no expiry.");
        }
        if (notBefore is { } nbf && nbf > now + parameters.ClockSkew)
        {
            throw new SecurityTokenNotYetValidException("The ID token is not valid yet.") { NotBefore = nbf };
        }
        if (expires.Value + parameters.ClockSkew < now)
        {
            throw new SecurityTokenExpiredException("The ID token has expired.") { Expires = expires.Value };
        }
        return true;
    }

    /// <summary>The issuer must be the discovery document's. Entra ID's multi-tenant endpoints (<c>organizations</c>,
    /// <c>common</c>) publish <c>https://login.microsoftonline.com/{tenantid}/v2.0</c>; there the placeholder stands
    /// for the token's own <c>tid</c> (AllowedTenants then says which tenants are welcome).</summary>
    private static string ValidateIssuer(string issuer, SecurityToken token, TokenValidationParameters parameters, BaseConfiguration? configuration)
    {
        var expected = (parameters.ValidIssuers ?? []).Append(parameters.ValidIssuer).Append(configuration?.Issuer).OfType<string>();
        var tenant = token is Microsoft.IdentityModel.JsonWebTokens.JsonWebToken jwt && jwt.TryGetPayloadValue<string>("tid", out var tid) ? tid : null;
        foreach (var valid in expected)
        {
            if (string.Equals(valid, issuer, StringComparison.Ordinal)
                || (tenant is not null && valid.Contains("{tenantid}", StringComparison.Ordinal)
                    && string.Equals(valid.Replace("{tenantid}", tenant, StringComparison.Ordinal), issuer, StringComparison.Ordinal)))
            {
                return issuer;
            }
        }
        throw new SecurityTokenInvalidIssuerException("The ID token was issued by another issuer than the configured provider.");
    }
}
