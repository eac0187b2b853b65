using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Sluice.SignIn;

namespace Sluice.Dashboard;

/// <summary>
/// Cross-site request forgery protection for every state-changing dashboard request: ASP.NET Core's anti-forgery
/// (a cookie token plus a form field or header token, bound to the signed-in person), validated explicitly by each
/// handler, since neither host runs the anti-forgery middleware.
/// </summary>
public static class DashboardForms
{
    /// <summary>The hidden form field that carries the request token.</summary>
    public const string FieldName = "__sluice_csrf";

    /// <summary>The header that carries it on a script's request.</summary>
    public const string HeaderName = "X-Sluice-CSRF";

    public static async Task<bool> IsValidAsync(HttpContext context, IAntiforgery antiforgery)
    {
        try
        {
            return await antiforgery.IsRequestValidAsync(context);
        }
        catch (Exception e) when (e is InvalidOperationException or BadHttpRequestException or IOException)
        {
            // A body that is not a readable form (wrong content type, malformed, cut off) carries no valid token.
            return false;
        }
    }

    /// <summary>Clears the cookie token (at sign-out: the next page issues a new one).</summary>
    public static void ClearToken(HttpContext context) =>
        context.Response.Cookies.Delete(SignInCookies.Antiforgery, new CookieOptions
        {
            Path = SignInCookies.Path,
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps || context.RequestServices.GetService(typeof(SignInCookieSecurity)) is SignInCookieSecurity { Policy: CookieSecurePolicy.Always },
        });
}
