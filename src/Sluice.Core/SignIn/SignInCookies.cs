using Microsoft.AspNetCore.Http;

using Sluice.Wire;

namespace Sluice.SignIn;

/// <summary>
/// Every cookie the dashboard sets, in one place (docs/cookies.md lists them with the reasons). All are HttpOnly,
/// scoped to <see cref="Path"/>, and carry no <c>Expires</c> except the two short-lived OpenID Connect ones.
/// </summary>
public static class SignInCookies
{
    /// <summary>The session: the signed and encrypted ticket of one signed-in person. SameSite=Lax, no Expires (ends
    /// with the browser), at most 24 hours by the ticket's own issue time.</summary>
    public const string Session = "sluice_session";

    /// <summary>Prefix of the OpenID Connect correlation cookie (binds the provider's answer to this browser's sign-in;
    /// at most 15 minutes, deleted by the callback).</summary>
    public const string CorrelationPrefix = "sluice_oidc_correlation.";

    /// <summary>Prefix of the OpenID Connect nonce cookie (binds the ID token to this sign-in; at most 15 minutes,
    /// deleted by the callback).</summary>
    public const string NoncePrefix = "sluice_oidc_nonce.";

    /// <summary>The anti-forgery cookie token (half of the double-submit pair); SameSite=Strict, ends with the browser
    /// or at sign-out.</summary>
    public const string Antiforgery = "sluice_antiforgery";

    /// <summary>Every dashboard cookie is sent only to the dashboard's own paths, never to the API.</summary>
    public const string Path = "/" + SluiceRoutes.Dashboard;

    /// <summary>How long a started sign-in may take at the provider before its correlation and nonce expire.</summary>
    public static readonly TimeSpan SignInAttemptLifetime = TimeSpan.FromMinutes(15);
}

/// <summary>Whether dashboard cookies are marked <c>Secure</c>: on HTTPS requests only (the local host, which may run
/// on plain http://127.0.0.1), or always (the Azure Functions app, which is HTTPS-only).</summary>
public sealed record SignInCookieSecurity(CookieSecurePolicy Policy)
{
    public static SignInCookieSecurity SameAsRequest { get; } = new(CookieSecurePolicy.SameAsRequest);

    public static SignInCookieSecurity Always { get; } = new(CookieSecurePolicy.Always);
}
