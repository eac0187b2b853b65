using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Sluice.Dashboard.Tests.SignIn;
using Sluice.SignIn;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.Browser;

/// <summary>
/// A person in a real browser (headless Chromium): the dashboard sends them to sign in, they pick the provider, sign in
/// on the provider's own login page, land on the signed-in page, and sign out. A screenshot of each page is written to
/// <c>tests/Sluice.Dashboard.Tests/TestResults/screenshots/</c>.
/// </summary>
public sealed class BrowserSignInTests
{
    [Fact]
    public async Task APerson_SignsInThroughTheProvidersLoginPage_SeesWhoTheyAre_AndSignsOut()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        await using var context = await Chromium.NewContextAsync(sluice.BaseAddress);
        var page = await context.NewPageAsync();
        var external = new List<string>();
        page.Request += (_, request) =>
        {
            var url = new Uri(request.Url);
            if (url.Authority != sluice.BaseAddress.Authority && !request.Url.StartsWith(new Uri((SignInFixture.ProviderAsync().Result).Authority, "connect/").ToString(), StringComparison.Ordinal))
            {
                external.Add(request.Url);
            }
        };

        await page.GotoAsync("dashboard");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard/signin$"));
        await Shot(page, "1-sign-in");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Test provider" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/connect/authorize\\?"));
        await Shot(page, "2-provider-login");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in as Alice Example (alice@example.com)" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 }))
            .ToHaveTextAsync("Signed in as Alice Example (alice@example.com) via Test provider");
        var session = Assert.Single(await context.CookiesAsync(), c => c.Name == SignInCookies.Session);
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, session.SameSite);
        Assert.Equal(-1, session.Expires);
        await Shot(page, "3-signed-in");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard/signin\\?signedout$"));
        await Assertions.Expect(page.GetByText("You are signed out.")).ToBeVisibleAsync();
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == SignInCookies.Session);
        await Shot(page, "4-signed-out");

        // Every request the pages made went to Sluice or, during sign-in, to the identity provider.
        Assert.Empty(external);
    }

    internal static Task Shot(IPage page, string name) => Chromium.ShotAsync(page, name);
}
