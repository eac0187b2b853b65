using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Sluice.Dashboard.Pages;
using Sluice.Accounts;
using Sluice.Proxy;
using Sluice.SignIn;

using Sluice.Wire;

namespace Sluice.Dashboard;

/// <summary>
/// Renders dashboard pages: Razor components (<c>Dashboard/Pages/*.razor</c>) rendered on the server by
/// <see cref="RazorComponentResult"/>, an <see cref="IResult"/> both hosts execute alike. Every page gets the same
/// headers: not cached, not framed, and a content security policy that lets the page load nothing but Sluice's own
/// stylesheet (no script, font, image or connection anywhere else).
/// </summary>
internal static partial class DashboardPages
{
    public const string HomePath = "/" + SluiceRoutes.Dashboard;
    public const string SignInPath = "/" + SluiceRoutes.DashboardSignIn;
    public const string SignOutPath = "/" + SluiceRoutes.DashboardSignOut;
    public const string StylesheetPath = "/" + SluiceRoutes.Dashboard + "/assets/" + DashboardAssets.Stylesheet;

    public static string AccountPath(string accountId) => $"/{SluiceRoutes.Dashboard}/accounts/{Uri.EscapeDataString(accountId)}";
    public static string TeamPath(string accountId) => AccountPath(accountId) + "/team";

    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static IResult SignIn(HttpContext context, IReadOnlyList<SignInChoice> providers, AntiforgeryTokenSet tokens, bool signedOut) =>
        Render<SignInPage>(context, StatusCodes.Status200OK, new()
        {
            [nameof(SignInPage.Providers)] = providers,
            [nameof(SignInPage.Token)] = tokens.RequestToken,
            [nameof(SignInPage.SignedOut)] = signedOut,
        });

    public static IResult Home(HttpContext context, SignedInPerson person, string providerName, AntiforgeryTokenSet tokens,
        IReadOnlyList<Member> memberships, IReadOnlyList<Invitation> invitations,
        IReadOnlyDictionary<string, Account>? accounts = null, AccountOptions? accountOptions = null) =>
        Render<HomePage>(context, StatusCodes.Status200OK, new()
        {
            [nameof(HomePage.Accounts)] = accounts,
            [nameof(HomePage.AccountOptions)] = accountOptions,
            [nameof(HomePage.Person)] = person,
            [nameof(HomePage.ProviderName)] = providerName,
            [nameof(HomePage.Token)] = tokens.RequestToken,
            [nameof(HomePage.Memberships)] = memberships,
            [nameof(HomePage.Invitations)] = invitations,
        });

    public static IResult Account(HttpContext context, Caller caller, SignedInPerson person, string? token, AccountOptions options) =>
        Render<AccountPage>(context, StatusCodes.Status200OK, new()
        {
            [nameof(AccountPage.Caller)] = caller,
            [nameof(AccountPage.Person)] = person,
            [nameof(AccountPage.Token)] = token,
            [nameof(AccountPage.Options)] = options,
        });

    public static IResult Team(HttpContext context, Caller caller, SignedInPerson person, IReadOnlyList<Member> members,
        IReadOnlyList<Invitation> invitations, string? token, string? notice, ApiError? error) =>
        Render<TeamPage>(context, error?.Status ?? StatusCodes.Status200OK, new()
        {
            [nameof(TeamPage.Caller)] = caller,
            [nameof(TeamPage.Person)] = person,
            [nameof(TeamPage.Members)] = members,
            [nameof(TeamPage.Invitations)] = invitations,
            [nameof(TeamPage.Token)] = token,
            [nameof(TeamPage.Error)] = error?.Message,
        });

    /// <summary>An API refusal (not a member, wrong role, account suspended…) as a page with the same status and sentence.</summary>
    public static IResult Refused(HttpContext context, ApiError error) =>
        Render<RefusedPage>(context, error.Status, new() { [nameof(RefusedPage.Message)] = error.Message, [nameof(RefusedPage.Code)] = error.Code });

    public static IResult SignInRefused(HttpContext context, SignInRefusal refusal) =>
        Render<SignInRefusedPage>(context, refusal switch
        {
            SignInRefusal.UnknownProvider => StatusCodes.Status404NotFound,
            SignInRefusal.NotStartedHere => StatusCodes.Status400BadRequest,
            SignInRefusal.ProviderError => StatusCodes.Status502BadGateway,
            _ => StatusCodes.Status403Forbidden,
        }, new() { [nameof(SignInRefusedPage.Message)] = SignInRefusals.Explain(refusal) });

    /// <summary>A POST without a valid anti-forgery token: 400, nothing changed.</summary>
    public static IResult FormRejected(HttpContext context) =>
        Render<FormRejectedPage>(context, StatusCodes.Status400BadRequest, []);

    internal static RazorComponentResult<TPage> Render<TPage>(HttpContext context, int status, Dictionary<string, object?> parameters)
        where TPage : Microsoft.AspNetCore.Components.IComponent
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        // The callback URL carries the authorization code: never send it on as a referrer.
        headers["Referrer-Policy"] = "no-referrer";
        return new RazorComponentResult<TPage>(parameters) { StatusCode = status, ContentType = "text/html; charset=utf-8" };
    }
}
