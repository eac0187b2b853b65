using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Wire;

namespace Sluice.SignIn;

/// <summary>
/// The session cookie, exactly as published: HttpOnly, SameSite=Lax, Secure in Azure and on any HTTPS request, no
/// <c>Expires</c> (the ticket is never persistent, so the browser drops it when it closes), and at most
/// <see cref="SignInOptions.SessionLifetime"/> (24 hours) from the ticket's issue time, checked on the server on every
/// request with the injected clock, whatever the browser keeps. Its content is a data-protection ticket: signed and
/// encrypted with the stamp's key ring.
/// </summary>
internal sealed class SessionCookieOptions(IOptions<SignInOptions> signIn, SignInCookieSecurity security, TimeProvider time)
    : IConfigureNamedOptions<CookieAuthenticationOptions>
{
    public void Configure(CookieAuthenticationOptions options) { }

    public void Configure(string? name, CookieAuthenticationOptions options)
    {
        if (name != SignInSchemes.Session)
        {
            return;
        }
        var lifetime = signIn.Value.SessionLifetime;
        options.Cookie.Name = SignInCookies.Session;
        options.Cookie.Path = SignInCookies.Path;
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Lax;
        options.Cookie.SecurePolicy = security.Policy;
        options.Cookie.IsEssential = true;
        options.ExpireTimeSpan = lifetime;
        options.SlidingExpiration = false;
        options.TimeProvider = time;
        options.LoginPath = "/" + SluiceRoutes.DashboardSignIn;
        options.Events = new CookieAuthenticationEvents
        {
            OnValidatePrincipal = async context =>
            {
                var issued = context.Properties.IssuedUtc;
                var now = time.GetUtcNow();
                if (issued is null || issued > now + TimeSpan.FromMinutes(5) || now - issued >= lifetime
                    || SignedInPerson.FromPrincipal(context.Principal) is null)
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(SignInSchemes.Session);
                }
            },
        };
    }
}
