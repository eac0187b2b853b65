using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.SignIn;

namespace Sluice.Dashboard;

/// <summary>The dashboard's pages: for now the signed-in page (who you are, and sign out).</summary>
public sealed class DashboardHandlers(IAntiforgery antiforgery, IOptions<SignInOptions> signIn, MemberStore members, AccountStore accounts,
    IOptions<AccountOptions> accountOptions)
{
    /// <summary><c>GET /dashboard</c>: the signed-in person, or a redirect to the sign-in page.</summary>
    public async Task<IResult> HomeAsync(HttpContext context)
    {
        if (await DashboardSession.AuthenticateAsync(context) is not { } person)
        {
            return Results.Redirect(DashboardPages.SignInPath);
        }
        var providerName = signIn.Value.Providers.GetValueOrDefault(person.Provider)?.DisplayName ?? person.Provider;
        // The accounts the person belongs to, and the invitations waiting for their verified email (an unverified
        // email is nobody's proof of being invited).
        var memberships = await members.MembershipsAsync(PersonId.Of(person.Issuer, person.Subject), context.RequestAborted);
        var invitations = person is { EmailVerified: true, Email: { } email }
            ? await members.InvitationsForAsync(email, context.RequestAborted)
            : [];
        // Each account's state, so a suspended or closed account says so before it is opened.
        var states = new Dictionary<string, Account>(StringComparer.Ordinal);
        foreach (var m in memberships)
        {
            if (await accounts.GetAsync(m.AccountId, context.RequestAborted) is { State: not AccountState.Purged } account)
            {
                states[m.AccountId] = account;
            }
        }
        return DashboardPages.Home(context, person, providerName, antiforgery.GetAndStoreTokens(context), memberships, invitations,
            states, accountOptions.Value);
    }

    /// <summary><c>GET /dashboard/assets/{file}</c>: the dashboard's own static files, from the assembly.</summary>
    public static IResult Asset(HttpContext context, string file)
    {
        if (DashboardAssets.Find(file) is not { } asset)
        {
            return Results.NotFound();
        }
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "public, max-age=3600";
        return Results.Bytes(asset.Content, asset.ContentType);
    }
}
