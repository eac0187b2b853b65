using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Sluice.Accounts;
using Sluice.SignIn;

namespace Sluice.Dashboard;

/// <summary>
/// The start of every account page: the signed-in person (or the sign-in page), the anti-forgery check of a POST,
/// and the person's membership of the account as a <see cref="Caller"/> (<see cref="MemberAuthenticator"/>: the
/// allowlist, account-state and role checks a key gets). A refusal is the page of the API's error.
/// </summary>
public sealed class MemberRequests(MemberAuthenticator authenticator, IAntiforgery antiforgery)
{
    /// <summary>Begins a request to a route declared as <paramref name="access"/> (<see cref="DashboardAccess"/>).</summary>
    public Task<MemberRequest> BeginAsync(HttpContext context, string accountId, PageAccess access) =>
        access.Audience == PageAudience.Member
            ? BeginAsync(context, accountId, access.Purpose, access.MinimumRole, access.ChangesState)
            : throw new ArgumentException("Only member routes act as a member of an account.", nameof(access));

    public async Task<MemberRequest> BeginAsync(HttpContext context, string accountId,
        CallerPurpose purpose, KeyRole minimumRole, bool changesState)
    {
        if (await DashboardSession.AuthenticateAsync(context) is not { } person)
        {
            return MemberRequest.Refused(null, changesState ? DashboardPages.FormRejected(context) : Results.Redirect(DashboardPages.SignInPath));
        }
        if (changesState && !await DashboardForms.IsValidAsync(context, antiforgery))
        {
            return MemberRequest.Refused(person, DashboardPages.FormRejected(context));
        }
        return (await authenticator.AuthenticateAsync(context, Identity(person), accountId, purpose, minimumRole)).TryGet(out var caller, out var error)
            ? MemberRequest.Allowed(caller, person)
            : MemberRequest.Refused(person, DashboardPages.Refused(context, error));
    }

    public string? Token(HttpContext context) => antiforgery.GetAndStoreTokens(context).RequestToken;

    public static PersonIdentity Identity(SignedInPerson person) =>
        new(person.Issuer, person.Subject, person.Email, person.EmailVerified, person.Name, person.TenantId);
}
