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
        var recorder = PageRecorder.Watch(page, sluice.BaseAddress, new Uri((await SignInFixture.ProviderAsync()).Authority, "connect/").ToString());

        await page.GotoAsync("dashboard");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard/signin$"));
        await recorder.ShotAsync("1-sign-in");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Test provider" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/connect/authorize\\?"));
        await recorder.ShotAsync("2-provider-login");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in as Alice Example (alice@example.com)" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 }))
            .ToHaveTextAsync("Signed in as Alice Example (alice@example.com) via Test provider");
        var session = Assert.Single(await context.CookiesAsync(), c => c.Name == SignInCookies.Session);
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, session.SameSite);
        Assert.Equal(-1, session.Expires);
        await recorder.ShotAsync("3-signed-in");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard/signin\\?signedout$"));
        await Assertions.Expect(page.GetByText("You are signed out.")).ToBeVisibleAsync();
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == SignInCookies.Session);
        await recorder.ShotAsync("4-signed-out");

        // Every request the pages made went to Sluice or, during sign-in, to the identity provider.
        Assert.Empty(recorder.ExternalRequests);
    }
}
