using System.Text.RegularExpressions;
using Microsoft.Net.Http.Headers;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.SignIn;

/// <summary>docs/cookies.md is the published list of cookies: every Set-Cookie the dashboard sends must be on it, with
/// the attributes it promises, and every cookie on it must really be set.</summary>
public sealed partial class CookieListTests
{
    [Fact]
    public async Task EverySetCookieTheDashboardSends_IsOnTheDocumentedList_HttpOnly_SameSite_AndScopedToTheDashboard()
    {
        var documented = Documented();
        await using var sluice = await SignInFixture.StartSluiceAsync();
        using var browser = new DashboardBrowser(sluice.BaseAddress);

        await browser.GetAsync("dashboard");
        await browser.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);
        await browser.GetAsync("dashboard");
        await browser.GetAsync("dashboard/assets/dashboard.css");
        await browser.SignOutAsync();
        await browser.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Unverified.Subject);
        await browser.GetAsync("dashboard/signin/test/callback?code=forged&state=forged");
        await browser.PostFormAsync("dashboard/signout", []);

        var sent = AssertOnTheList(browser.SetCookies);
        Assert.All(documented, entry => Assert.Contains(sent, cookie =>
            entry.EndsWith('*') ? cookie.Name.Value!.StartsWith(entry[..^1], StringComparison.Ordinal) : cookie.Name == entry));
    }

    /// <summary>Every one of <paramref name="setCookies"/> (Set-Cookie headers the dashboard sent) is a documented
    /// cookie with the promised attributes. The route matrix calls this for every response of every route.</summary>
    internal static List<SetCookieHeaderValue> AssertOnTheList(IEnumerable<string> setCookies)
    {
        var documented = Documented();
        var sent = setCookies.Select(header => SetCookieHeaderValue.Parse(header)).ToList();
        Assert.All(sent, cookie =>
        {
            var name = cookie.Name.Value!;
            Assert.Contains(documented, entry => entry.EndsWith('*') ? name.StartsWith(entry[..^1], StringComparison.Ordinal) : name == entry);
            Assert.True(cookie.HttpOnly, name);
            Assert.NotEqual(Microsoft.Net.Http.Headers.SameSiteMode.Unspecified, cookie.SameSite);
            Assert.NotEqual(Microsoft.Net.Http.Headers.SameSiteMode.None, cookie.SameSite);
            Assert.Equal("/dashboard", cookie.Path.Value);
            Assert.Null(cookie.Domain.Value);
            Assert.Null(cookie.MaxAge);
        });
        return sent;
    }

    [Fact]
    public async Task TheApi_SetsNoCookie()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        using var client = sluice.CreateHttpClient();

        foreach (var path in new[] { "health", "v1/models", "v1/account", "operator/accounts", "nowhere" })
        {
            using var response = await client.GetAsync(path);
            Assert.False(response.Headers.Contains("Set-Cookie"), path);
        }
    }

    private static List<string> Documented() =>
        [.. CookieRow().Matches(File.ReadAllText(Path.Combine(SignInFixture.RepoRoot, "docs", "cookies.md"))).Select(m => m.Groups["name"].Value)];

    [GeneratedRegex(@"^\| `(?<name>[a-z_.]+\*?)` \|", RegexOptions.Multiline)]
    private static partial Regex CookieRow();
}
