namespace Sluice.SignIn;

/// <summary>Why a sign-in was refused: each has one sentence for the person (no token, code or claim value in it).</summary>
public enum SignInRefusal
{
    UnknownProvider,
    Cancelled,
    ProviderError,
    NotStartedHere,
    NonceMismatch,
    WrongAudience,
    WrongIssuer,
    Expired,
    BadSignature,
    InvalidToken,
    TenantNotAllowed,
    EmailDomainNotAllowed,
    EmailNotVerified,
    MissingEmail,
    Failed,
}

internal static class SignInRefusals
{
    public static string Explain(SignInRefusal refusal) => refusal switch
    {
        SignInRefusal.UnknownProvider => "No identity provider of that name is configured here.",
        SignInRefusal.Cancelled => "The sign-in was cancelled or refused at the identity provider.",
        SignInRefusal.ProviderError => "The identity provider answered with an error.",
        SignInRefusal.NotStartedHere => "This sign-in response was not started in this browser, took too long, or was already used. Start again.",
        SignInRefusal.NonceMismatch => "The identity provider's token does not belong to this sign-in (nonce mismatch or replay).",
        SignInRefusal.WrongAudience => "The identity provider's token was issued to another application (audience), not to this Sluice.",
        SignInRefusal.WrongIssuer => "The token was not issued by the configured identity provider.",
        SignInRefusal.Expired => "The identity provider's token has expired (or is not valid yet). Check the clocks, then start again.",
        SignInRefusal.BadSignature => "The token's signature does not match the identity provider's published keys.",
        SignInRefusal.InvalidToken => "The identity provider's token is not valid.",
        SignInRefusal.TenantNotAllowed => "Your organisation (directory tenant) is not allowed to sign in here.",
        SignInRefusal.EmailDomainNotAllowed => "Your email domain is not allowed to sign in here.",
        SignInRefusal.EmailNotVerified => "Your identity provider does not vouch for your email address (not verified), so you cannot sign in here.",
        SignInRefusal.MissingEmail => "Your identity provider did not send an email address; this deployment requires one.",
        _ => "The sign-in could not be completed.",
    };
}

/// <summary>A refusal decided by Sluice's own rules after the token itself was valid; carried through the OpenID
/// Connect handler's failure path to the refusal page.</summary>
internal sealed class SignInRefusedException(SignInRefusal refusal) : Exception(SignInRefusals.Explain(refusal))
{
    public SignInRefusal Refusal { get; } = refusal;
}
