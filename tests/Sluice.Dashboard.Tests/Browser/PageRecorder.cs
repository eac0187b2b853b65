using Microsoft.Playwright;
using Sluice.Dashboard.Tests.SignIn;

namespace Sluice.Dashboard.Tests.Browser;

/// <summary>
/// What the browser tests keep of a page: a screenshot of each step (in
/// <c>tests/Sluice.Dashboard.Tests/TestResults/screenshots/</c>, with the test results), and every request it made to
/// anywhere but Sluice and, during sign-in, the identity provider, which must stay none.
/// </summary>
internal sealed class PageRecorder
{
    public static readonly string ScreenshotDirectory = Path.Combine(SignInFixture.ProjectDirectory, "TestResults", "screenshots");

    private readonly IPage _page;
    private readonly List<string> _external = [];

    private PageRecorder(IPage page) => _page = page;

    /// <summary>Requests to hosts other than <paramref name="sluice"/> and outside <paramref name="providerPrefix"/>.</summary>
    public IReadOnlyList<string> ExternalRequests => _external;

    public static PageRecorder Watch(IPage page, Uri sluice, string providerPrefix)
    {
        var recorder = new PageRecorder(page);
        page.Request += (_, request) =>
        {
            if (new Uri(request.Url).Authority != sluice.Authority && !request.Url.StartsWith(providerPrefix, StringComparison.Ordinal))
            {
                recorder._external.Add(request.Url);
            }
        };
        return recorder;
    }

    public Task ShotAsync(string name) => ShotAsync(_page, name);

    /// <summary>A screenshot of <paramref name="page"/> for a test that does not watch its requests.</summary>
    public static async Task ShotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });
    }
}
