using System.Security.Claims;

namespace Sluice.SignIn;

/// <summary>
/// Who is signed in to the dashboard: the identity their provider vouched for in a fully validated ID token, and
/// nothing else. A person is identified by <see cref="Issuer"/> and <see cref="Subject"/> together (the same email at
/// two providers is two people); email and name are what the token said at sign-in.
/// </summary>
/// <param name="Issuer">The ID token's <c>iss</c>.</param>
/// <param name="Subject">The ID token's <c>sub</c>: stable for this person at this issuer.</param>
/// <param name="Email">The ID token's <c>email</c>, if sent.</param>
/// <param name="EmailVerified">Whether the provider vouched for the email (<c>email_verified</c>, or Entra ID's <c>xms_edov</c>).</param>
/// <param name="Name">The ID token's <c>name</c>, if sent.</param>
/// <param name="Provider">The configured provider name (<c>Sluice:SignIn:Providers:{name}</c>) used to sign in.</param>
/// <param name="TenantId">Entra ID's <c>tid</c>, when the provider sent one.</param>
public sealed record SignedInPerson(string Provider, string Issuer, string Subject, string? Email, bool EmailVerified, string? Name, string? TenantId)
{
    // Short claim names: the session cookie carries only these, so it stays small.
    private const string ProviderClaim = "sluice_provider";
    private const string IssuerClaim = "iss";
    private const string SubjectClaim = "sub";
    private const string EmailClaim = "email";
    private const string EmailVerifiedClaim = "email_verified";
    private const string NameClaim = "name";
    private const string TenantClaim = "tid";

    /// <summary>The authentication type of the session's identity.</summary>
    public const string AuthenticationType = "sluice-session";

    /// <summary>What the page shows: the name, else the email, else the subject.</summary>
    public string DisplayName => Name ?? Email ?? Subject;

    public ClaimsPrincipal ToPrincipal()
    {
        var identity = new ClaimsIdentity(AuthenticationType, NameClaim, roleType: null);
        identity.AddClaim(new Claim(ProviderClaim, Provider));
        identity.AddClaim(new Claim(IssuerClaim, Issuer));
        identity.AddClaim(new Claim(SubjectClaim, Subject));
        identity.AddClaim(new Claim(EmailVerifiedClaim, EmailVerified ? "true" : "false"));
        if (Email is not null) { identity.AddClaim(new Claim(EmailClaim, Email)); }
        if (Name is not null) { identity.AddClaim(new Claim(NameClaim, Name)); }
        if (TenantId is not null) { identity.AddClaim(new Claim(TenantClaim, TenantId)); }
        return new ClaimsPrincipal(identity);
    }

    /// <summary>The person a session principal (from <see cref="ToPrincipal"/>) describes, or null for any other principal.</summary>
    public static SignedInPerson? FromPrincipal(ClaimsPrincipal? principal)
    {
        var identity = principal?.Identities.FirstOrDefault(i => i.AuthenticationType == AuthenticationType);
        if (identity?.FindFirst(ProviderClaim)?.Value is not { } provider
            || identity.FindFirst(IssuerClaim)?.Value is not { } issuer
            || identity.FindFirst(SubjectClaim)?.Value is not { } subject)
        {
            return null;
        }
        return new SignedInPerson(provider, issuer, subject, identity.FindFirst(EmailClaim)?.Value,
            identity.FindFirst(EmailVerifiedClaim)?.Value == "true", identity.FindFirst(NameClaim)?.Value, identity.FindFirst(TenantClaim)?.Value);
    }
}
