using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.SignIn;

namespace Sluice.Dashboard;

/// <summary>
/// Signing in and out of the dashboard, the same in both hosts:
/// <list type="number">
/// <item><c>GET /dashboard/signin</c>: one button per configured provider (a POST form with an anti-forgery token).</item>
/// <item><c>POST /dashboard/signin/{provider}</c>: checks the anti-forgery token, then challenges that provider's
/// OpenID Connect scheme: a redirect to the provider with state, nonce and a PKCE challenge.</item>
/// <item><c>GET /dashboard/signin/{provider}/callback</c>: runs that scheme's remote handler as ASP.NET Core's
/// AuthenticationMiddleware would (the Functions worker has no such middleware, and the local host does not use it
/// either, so both take this one path): it redeems the code, validates the ID token and signs the session in, or
/// renders the refusal.</item>
/// <item><c>POST /dashboard/signout</c>: checks the anti-forgery token and clears the session.</item>
/// </list>
/// </summary>
public sealed class SignInHandlers(IOptions<SignInOptions> options, IAntiforgery antiforgery)
{
    public async Task<IResult> SignInPageAsync(HttpContext context)
    {
        if (await DashboardSession.AuthenticateAsync(context) is not null)
        {
            return Results.Redirect(DashboardPages.HomePath);
        }
        var providers = options.Value.Providers
            .Select(p => new SignInChoice(p.Key, p.Value.DisplayName ?? p.Key))
            .OrderBy(p => p.DisplayName, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var signedOut = context.Request.Query.ContainsKey("signedout");
        return DashboardPages.SignIn(context, providers, antiforgery.GetAndStoreTokens(context), signedOut);
    }

    public async Task<IResult> StartAsync(HttpContext context, string provider)
    {
        if (!options.Value.Providers.ContainsKey(provider))
        {
            return DashboardPages.SignInRefused(context, SignInRefusal.UnknownProvider);
        }
        // A signed-in person's anti-forgery token is bound to them (signing in again, e.g. as someone else).
        await DashboardSession.AuthenticateAsync(context);
        if (!await DashboardForms.IsValidAsync(context, antiforgery))
        {
            return DashboardPages.FormRejected(context);
        }
        // Where the provider's answer leads once the session exists: always the dashboard's home, never a URL taken
        // from the request (no open redirect).
        var properties = new AuthenticationProperties { RedirectUri = DashboardPages.HomePath, IsPersistent = false, AllowRefresh = false };
        return Results.Challenge(properties, [SignInSchemes.ForProvider(provider)]);
    }

    public async Task<IResult> CallbackAsync(HttpContext context, string provider)
    {
        if (!options.Value.Providers.ContainsKey(provider))
        {
            return DashboardPages.SignInRefused(context, SignInRefusal.UnknownProvider);
        }
        // What AuthenticationMiddleware does before it offers a request to the remote handlers.
        context.Features.Set<IAuthenticationFeature>(new AuthenticationFeature
        {
            OriginalPath = context.Request.Path,
            OriginalPathBase = context.Request.PathBase,
        });
        // The handler provider is per request (scoped), as handlers are.
        var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        if (await handlers.GetHandlerAsync(context, SignInSchemes.ForProvider(provider)) is IAuthenticationRequestHandler handler
            && await handler.HandleRequestAsync())
        {
            // The handler has answered: the redirect into the dashboard with the session cookie, or the refusal page.
            return Results.Empty;
        }
        return DashboardPages.SignInRefused(context, SignInRefusal.NotStartedHere);
    }

    public async Task<IResult> SignOutAsync(HttpContext context)
    {
        // Authenticate first: the anti-forgery token of a signed-in page is bound to the person.
        await DashboardSession.AuthenticateAsync(context);
        if (!await DashboardForms.IsValidAsync(context, antiforgery))
        {
            return DashboardPages.FormRejected(context);
        }
        await DashboardSession.SignOutAsync(context);
        DashboardForms.ClearToken(context);
        return Results.Redirect(DashboardPages.SignInPath + "?signedout");
    }
}

/// <summary>One sign-in button.</summary>
public sealed record SignInChoice(string Provider, string DisplayName);
