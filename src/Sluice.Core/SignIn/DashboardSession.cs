using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Sluice.SignIn;

/// <summary>
/// The signed-in person of a dashboard request, for handlers. Neither host runs ASP.NET Core's authentication
/// middleware (the Functions worker cannot), so every handler that needs the person asks here, explicitly: the
/// session cookie is read and checked (signature, encryption, 24-hour limit) and <see cref="HttpContext.User"/> is set,
/// which anti-forgery tokens are bound to.
/// </summary>
public static class DashboardSession
{
    /// <summary>The person, or null when there is no valid session (an expired or tampered cookie is also cleared).</summary>
    public static async Task<SignedInPerson?> AuthenticateAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(SignInSchemes.Session);
        if (result.Succeeded && SignedInPerson.FromPrincipal(result.Principal) is { } person)
        {
            context.User = result.Principal!;
            return person;
        }
        // A cookie that did not authenticate (expired, tampered, from another key ring) is cleared, once.
        if (context.Request.Cookies.ContainsKey(SignInCookies.Session) && !context.Response.HasStarted
            && !context.Response.Headers.SetCookie.Any(cookie => cookie?.StartsWith(SignInCookies.Session + "=", StringComparison.Ordinal) == true))
        {
            await context.SignOutAsync(SignInSchemes.Session);
        }
        return null;
    }

    /// <summary>Ends the session: the cookie is cleared.</summary>
    public static Task SignOutAsync(HttpContext context) => context.SignOutAsync(SignInSchemes.Session);
}
