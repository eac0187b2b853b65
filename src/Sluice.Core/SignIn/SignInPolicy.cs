using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Sluice.SignIn;

/// <summary>
/// What Sluice asks of an ID token after the OpenID Connect handler has validated it (issuer, audience, signature,
/// lifetime, nonce): the provider's tenant and email-domain limits and a verified email, then the one small
/// <see cref="SignedInPerson"/> the session carries.
/// </summary>
internal static class SignInPolicy
{
    public static (SignedInPerson? Person, SignInRefusal? Refusal) Admit(string provider, SignInProvider settings, ClaimsPrincipal token)
    {
        string? Claim(string type) => token.FindFirst(type)?.Value;
        var issuer = Claim("iss");
        var subject = Claim("sub");
        if (issuer is null || subject is null)
        {
            return (null, SignInRefusal.InvalidToken);
        }
        var tenant = Claim("tid");
        if (settings.AllowedTenants.Count > 0 && (tenant is null || !settings.AllowedTenants.Contains(tenant, StringComparer.OrdinalIgnoreCase)))
        {
            return (null, SignInRefusal.TenantNotAllowed);
        }
        var email = Claim("email");
        // Entra ID sends no email_verified; its optional claim xms_edov says the email's domain owner is verified.
        var verified = IsTrue(Claim("email_verified")) || IsTrue(Claim("xms_edov"));
        if (settings.AllowedEmailDomains.Count > 0)
        {
            var at = email?.LastIndexOf('@') ?? -1;
            if (email is null || at < 1 || !settings.AllowedEmailDomains.Contains(email[(at + 1)..], StringComparer.OrdinalIgnoreCase))
            {
                return (null, email is null ? SignInRefusal.MissingEmail : SignInRefusal.EmailDomainNotAllowed);
            }
        }
        if (settings.RequireVerifiedEmail)
        {
            if (email is null)
            {
                return (null, SignInRefusal.MissingEmail);
            }
            if (!verified)
            {
                return (null, SignInRefusal.EmailNotVerified);
            }
        }
        return (new SignedInPerson(provider, issuer, subject, email, verified, Claim("name"), tenant), null);
    }

    private static bool IsTrue(string? value) => string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Names the failure the OpenID Connect handler reported, from the exception's type only (its message
    /// may quote the provider's response).</summary>
    public static SignInRefusal Classify(Exception? failure) => failure switch
    {
        SignInRefusedException refused => refused.Refusal,
        SecurityTokenInvalidAudienceException => SignInRefusal.WrongAudience,
        SecurityTokenInvalidIssuerException => SignInRefusal.WrongIssuer,
        SecurityTokenExpiredException or SecurityTokenNotYetValidException or SecurityTokenNoExpirationException
            or SecurityTokenInvalidLifetimeException => SignInRefusal.Expired,
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => SignInRefusal.BadSignature,
        OpenIdConnectProtocolInvalidNonceException => SignInRefusal.NonceMismatch,
        // The handler reports the provider's error responses (and incomplete ones) with this type.
        OpenIdConnectProtocolException => SignInRefusal.ProviderError,
        SecurityTokenException => SignInRefusal.InvalidToken,
        AuthenticationFailureException when failure.Message.StartsWith("Correlation failed", StringComparison.Ordinal) => SignInRefusal.NotStartedHere,
        _ when failure?.Message is "The oauth state was missing or invalid." or "OpenIdConnectAuthenticationHandler: message.State is null or empty."
            => SignInRefusal.NotStartedHere,
        _ => SignInRefusal.Failed,
    };
}
