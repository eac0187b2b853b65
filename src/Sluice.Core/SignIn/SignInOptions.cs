namespace Sluice.SignIn;

/// <summary>
/// How people sign in to the dashboard (<c>Sluice__SignIn__*</c>): the OpenID Connect identity providers this
/// deployment trusts, and how long a session may last. No provider configured means nobody can sign in; the API is
/// unaffected either way.
/// </summary>
public sealed class SignInOptions
{
    public const string Section = "Sluice:SignIn";

    /// <summary>The published promise: a session ends when the browser closes, on sign-out, or after 24 hours.</summary>
    public static readonly TimeSpan MaxSessionLifetime = TimeSpan.FromHours(24);

    /// <summary>Absolute lifetime of a session from the moment of sign-in, never extended by activity. At most
    /// <see cref="MaxSessionLifetime"/>; shorter is allowed.</summary>
    public TimeSpan SessionLifetime { get; set; } = MaxSessionLifetime;

    /// <summary>Identity providers by name (lowercase letters, digits and dashes: the name is part of the callback
    /// URL, <c>/dashboard/signin/{name}/callback</c>).</summary>
    public Dictionary<string, SignInProvider> Providers { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One OpenID Connect identity provider (Microsoft Entra ID, Google, Okta, Keycloak, …), bound from
/// <c>Sluice__SignIn__Providers__{name}__*</c>. See docs/sso.md for each provider's values.</summary>
public sealed class SignInProvider
{
    /// <summary>What the sign-in button says, e.g. "Microsoft Entra ID".</summary>
    public string? DisplayName { get; set; }

    /// <summary>The issuer URL whose <c>/.well-known/openid-configuration</c> is the discovery document, e.g.
    /// <c>https://login.microsoftonline.com/{tenant-id}/v2.0</c>. HTTPS, except on loopback (the dev provider).</summary>
    public Uri? Authority { get; set; }

    public string? ClientId { get; set; }

    /// <summary>The client secret; in Azure a Key Vault reference. Never logged, never shown.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>If not empty, only people whose token carries one of these Entra ID tenant ids (<c>tid</c>) may sign in.</summary>
    public List<string> AllowedTenants { get; set; } = [];

    /// <summary>If not empty, only people whose email is in one of these domains (exactly, not subdomains) may sign in.</summary>
    public List<string> AllowedEmailDomains { get; set; } = [];

    /// <summary>Refuse a sign-in unless the provider vouches for the email address (<c>email_verified</c>, or
    /// Entra ID's <c>xms_edov</c>). On by default: the email is what invitations will be matched against.</summary>
    public bool RequireVerifiedEmail { get; set; } = true;
}
