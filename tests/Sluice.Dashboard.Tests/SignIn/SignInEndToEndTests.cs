using System.Net;
using Microsoft.Net.Http.Headers;
using Sluice.Host.Dev;
using Sluice.SignIn;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.SignIn;

/// <summary>
/// The sign-in through real HTTP on loopback: Sluice's local host, the OpenIddict provider, and a cookie-aware client
/// that follows every redirect. Each refusal is a page with a clear sentence and a status, and leaves no session.
/// </summary>
public sealed class SignInEndToEndTests
{
    [Fact]
    public async Task AGoodSignIn_EndsOnTheSignedInPage_WithASessionCookieOfExactlyThePromisedAttributes()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        using var browser = new DashboardBrowser(sluice.BaseAddress);

        var page = await browser.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);

        Assert.Equal(HttpStatusCode.OK, page.Last.Status);
        Assert.Equal("/dashboard", page.Last.Url.AbsolutePath);
        Assert.Contains("Signed in as Alice Example (alice@example.com) via Test provider", page.Last.Body, StringComparison.Ordinal);
        var session = Assert.Single(page.SetCookies.Select(Cookie), c => c.Name == SignInCookies.Session);
        Assert.False(string.IsNullOrEmpty(session.Value.Value));
        Assert.True(session.HttpOnly);
        Assert.Equal(Microsoft.Net.Http.Headers.SameSiteMode.Lax, session.SameSite);
        Assert.Equal("/dashboard", session.Path.Value);
        Assert.Null(session.Expires);
        Assert.Null(session.MaxAge);
        Assert.Null(session.Domain.Value);
        // Plain http on loopback here; SessionCookieSecureTests covers HTTPS and the Functions app.
        Assert.False(session.Secure);
    }

    [Fact]
    public async Task TheSignInsOwnCookies_AreShortLived_LaxAndHttpOnly_AndTheCallbackDeletesThem()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        using var browser = new DashboardBrowser(sluice.BaseAddress);

        var page = await browser.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);

        var start = page.Steps.First(s => s.Method == HttpMethod.Post && s.Url.AbsolutePath == "/dashboard/signin/test");
        Assert.Equal(HttpStatusCode.Redirect, start.Status);
        Assert.StartsWith(SignInFixture.ProviderAuthority((await SignInFixture.ProviderAsync()).Authority), start.Location!.ToString(), StringComparison.Ordinal);
        var issued = start.SetCookies.Select(Cookie).ToList();
        Assert.Equal(2, issued.Count);
        Assert.Single(issued, c => c.Name.Value!.StartsWith(SignInCookies.CorrelationPrefix, StringComparison.Ordinal));
        Assert.Single(issued, c => c.Name.Value!.StartsWith(SignInCookies.NoncePrefix, StringComparison.Ordinal));
        var now = TimeProvider.System.GetUtcNow();
        Assert.All(issued, c =>
        {
            Assert.True(c.HttpOnly);
            Assert.Equal(Microsoft.Net.Http.Headers.SameSiteMode.Lax, c.SameSite);
            Assert.Equal("/dashboard", c.Path.Value);
            Assert.NotNull(c.Expires);
            Assert.InRange(c.Expires!.Value, now, now + SignInCookies.SignInAttemptLifetime + TimeSpan.FromMinutes(1));
        });

        var callback = page.Steps.Single(s => s.Url.AbsolutePath == "/dashboard/signin/test/callback");
        var deleted = callback.SetCookies.Select(Cookie).Where(c => c.Name != SignInCookies.Session).ToList();
        Assert.Equal(issued.Select(c => c.Name.Value).Order(), deleted.Select(c => c.Name.Value).Order());
        Assert.All(deleted, c => Assert.True(c.Expires < now));
        Assert.DoesNotContain(browser.Cookies.GetAllCookies(), c => c.Name != SignInCookies.Session && c.Name != SignInCookies.Antiforgery);
    }

    public static TheoryData<string, HttpStatusCode, string> Refusals => new()
    {
        { TestIdentityProvider.WrongAudience.Subject, HttpStatusCode.Forbidden, "issued to another application (audience)" },
        { TestIdentityProvider.Expired.Subject, HttpStatusCode.Forbidden, "token has expired" },
        { TestIdentityProvider.Outsider.Subject, HttpStatusCode.Forbidden, "organisation (directory tenant) is not allowed" },
        { TestIdentityProvider.OtherDomain.Subject, HttpStatusCode.Forbidden, "email domain is not allowed" },
        { TestIdentityProvider.Unverified.Subject, HttpStatusCode.Forbidden, "does not vouch for your email address" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task ABadSignIn_IsRefusedWithAClearPage_AndNoSession(string person, HttpStatusCode status, string reason)
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        using var browser = new DashboardBrowser(sluice.BaseAddress);

        var page = await browser.SignInAsync(TestIdentityProvider.Name, person);

        AssertRefused(browser, page, status, reason);
        Assert.Contains(sluice.Logs.Lines, line => line.Contains("Dashboard sign-in with provider test refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnIdTokenCarryingTheNonceOfAnEarlierSignIn_IsRefused()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        using (var first = new DashboardBrowser(sluice.BaseAddress))
        {
            var accepted = await first.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Replay.Subject);
            Assert.Contains("Signed in as Replayed Nonce", accepted.Last.Body, StringComparison.Ordinal);
        }
        using var second = new DashboardBrowser(sluice.BaseAddress);

        var page = await second.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Replay.Subject);

        AssertRefused(second, page, HttpStatusCode.Forbidden, "does not belong to this sign-in (nonce mismatch or replay)");
    }

    [Fact]
    public async Task ACallbackReplayedInAnotherBrowser_IsRefused()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        using var victim = new DashboardBrowser(sluice.BaseAddress);
        var signedIn = await victim.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);
        var callback = signedIn.Steps.Single(s => s.Url.AbsolutePath == "/dashboard/signin/test/callback").Url;
        using var attacker = new DashboardBrowser(sluice.BaseAddress);

        var page = await attacker.GetAsync(callback.ToString());

        AssertRefused(attacker, page, HttpStatusCode.BadRequest, "not started in this browser");
    }

    [Fact]
    public async Task StartingASignIn_WithoutTheAntiForgeryToken_IsRefused_AndGoesNowhere()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        using var browser = new DashboardBrowser(sluice.BaseAddress);
        await browser.GetAsync("dashboard/signin");

        var page = await browser.PostFormAsync("dashboard/signin/test", [KeyValuePair.Create("x", "y")]);

        Assert.Equal(HttpStatusCode.BadRequest, page.Last.Status);
        Assert.Single(page.Steps);
        Assert.Contains("nothing was changed", page.Last.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(page.SetCookies, c => c.StartsWith(SignInCookies.CorrelationPrefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnknownProvider_Is404_WithAClearPage()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        using var browser = new DashboardBrowser(sluice.BaseAddress);
        var signInPage = await browser.GetAsync("dashboard/signin");

        var start = await browser.PostFormAsync("dashboard/signin/nobody", [signInPage.Last.Csrf()]);
        var callback = await browser.GetAsync("dashboard/signin/nobody/callback?code=x&state=y");

        Assert.All([start.Last, callback.Last], step =>
        {
            Assert.Equal(HttpStatusCode.NotFound, step.Status);
            Assert.Contains("No identity provider of that name is configured here.", step.Body, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task SigningOut_ClearsTheSession_AndTheDashboardAsksToSignInAgain()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        using var browser = new DashboardBrowser(sluice.BaseAddress);
        await browser.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);

        var signedOut = await browser.SignOutAsync();

        var cleared = Assert.Single(signedOut.Steps[0].SetCookies.Select(Cookie), c => c.Name == SignInCookies.Session);
        Assert.True(string.IsNullOrEmpty(cleared.Value.Value));
        Assert.True(cleared.Expires < TimeProvider.System.GetUtcNow());
        Assert.Equal("/dashboard", cleared.Path.Value);
        Assert.Null(browser.SessionCookie);
        Assert.Equal("/dashboard/signin", signedOut.Last.Url.AbsolutePath);
        Assert.Contains("You are signed out.", signedOut.Last.Body, StringComparison.Ordinal);
        var again = await browser.GetAsync("dashboard");
        Assert.Equal("/dashboard/signin", again.Last.Url.AbsolutePath);
    }

    [Fact]
    public async Task SigningOut_WithoutTheAntiForgeryToken_IsRefused_AndTheSessionStays()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        using var browser = new DashboardBrowser(sluice.BaseAddress);
        await browser.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);

        var forged = await browser.PostFormAsync("dashboard/signout", []);

        Assert.Equal(HttpStatusCode.BadRequest, forged.Last.Status);
        Assert.DoesNotContain(forged.SetCookies, c => c.StartsWith(SignInCookies.Session + "=", StringComparison.Ordinal));
        Assert.Contains("Signed in as Alice Example", (await browser.GetAsync("dashboard")).Last.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoCodeIdTokenClientSecretOrSessionCookie_ReachesALogOrAPage()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var provider = await SignInFixture.ProviderAsync();
        using var browser = new DashboardBrowser(sluice.BaseAddress);
        var before = provider.IssuedSecrets.Count;

        var page = await browser.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);
        var refused = await new DashboardBrowser(sluice.BaseAddress).SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.WrongAudience.Subject);

        var secrets = provider.IssuedSecrets.Skip(before).Append(provider.ClientSecret).Append(browser.SessionCookie!.Value).ToList();
        Assert.True(secrets.Count >= 5, string.Join(", ", secrets.Select(s => s.Length)));
        var logs = string.Join(Environment.NewLine, sluice.Logs.Lines);
        var pages = string.Join(Environment.NewLine, page.Steps.Concat(refused.Steps).Select(s => s.Body));
        Assert.All(secrets, secret =>
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, pages, StringComparison.Ordinal);
        });
    }

    private static SetCookieHeaderValue Cookie(string header) => SetCookieHeaderValue.Parse(header);

    private static void AssertRefused(DashboardBrowser browser, DashboardBrowser.Page page, HttpStatusCode status, string reason)
    {
        Assert.Equal(status, page.Last.Status);
        Assert.Contains("Sign-in refused", page.Last.Body, StringComparison.Ordinal);
        Assert.Contains(reason, page.Last.Body, StringComparison.Ordinal);
        Assert.Contains("No session was started.", page.Last.Body, StringComparison.Ordinal);
        Assert.Null(browser.SessionCookie);
        Assert.DoesNotContain(browser.SetCookies, c => c.StartsWith(SignInCookies.Session + "=", StringComparison.Ordinal)
            && !string.IsNullOrEmpty(SetCookieHeaderValue.Parse(c).Value.Value));
    }
}
