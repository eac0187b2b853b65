using Microsoft.Playwright;
using Sluice.Testing;

namespace Sluice.Dashboard.Tests.Browser;

/// <summary>
/// Debian's headless Chromium driven by Playwright. Playwright's own browser download cannot be used here, so the
/// browser is the distribution's package, installed on first use with <c>apt-get</c> (CI runs as root), the way the
/// tests install Azurite from the repository's package.json: a fresh machine needs no manual step.
/// </summary>
internal static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly Lazy<Task<IBrowser>> s_browser = new(LaunchAsync);

    /// <summary>How long an action or navigation may take before it fails (Playwright's default is 30 s). The dashboard
    /// answers in milliseconds; the margin is for CI machines where builds and tests contend for two cores.</summary>
    public static readonly TimeSpan ActionTimeout = TimeSpan.FromSeconds(90);

    /// <summary>How long an <c>Expect(…)</c> assertion retries (Playwright's default is 5 s: one slow page load under
    /// contention exceeds it).</summary>
    public static readonly TimeSpan ExpectTimeout = TimeSpan.FromSeconds(60);

    public static Task<IBrowser> BrowserAsync() => s_browser.Value;

    /// <summary>A fresh browser context (its own cookies) for <paramref name="baseUrl"/>, with the timeouts above.</summary>
    public static async Task<IBrowserContext> NewContextAsync(Uri baseUrl)
    {
        var browser = await BrowserAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl.ToString(), AcceptDownloads = true });
        context.SetDefaultTimeout((float)ActionTimeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)ActionTimeout.TotalMilliseconds);
        Assertions.SetDefaultExpectTimeout((float)ExpectTimeout.TotalMilliseconds);
        return context;
    }

    private static async Task<IBrowser> LaunchAsync()
    {
        await EnsureInstalledAsync();
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // Starting Chromium is the slowest step under contention (Playwright's default allows 30 s).
            Timeout = (float)ActionTimeout.TotalMilliseconds,
            // Tests and CI run as root, where Chromium's sandbox cannot start.
            Args = ["--no-sandbox"],
        });
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            browser.CloseAsync().GetAwaiter().GetResult();
            playwright.Dispose();
        };
        return browser;
    }

    /// <summary>Writes a full-page screenshot to <c>tests/Sluice.Dashboard.Tests/TestResults/screenshots/{name}.png</c>.</summary>
    public static async Task ShotAsync(IPage page, string name)
    {
        var directory = Path.Combine(Dashboard.Tests.SignIn.SignInFixture.ProjectDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }

    private static async Task EnsureInstalledAsync()
    {
        if (File.Exists(ExecutablePath))
        {
            return;
        }
        var install = await AptGetAsync(["install", "-y", "--no-install-recommends", "chromium"]);
        if (install.ExitCode != 0)
        {
            // A machine whose package lists were never fetched: fetch them once, then install.
            var update = await AptGetAsync(["update"]);
            Assert.True(update.ExitCode == 0, $"apt-get update failed:{Environment.NewLine}{update}");
            install = await AptGetAsync(["install", "-y", "--no-install-recommends", "chromium"]);
        }
        Assert.True(install.ExitCode == 0 && File.Exists(ExecutablePath), $"Installing Debian's chromium failed:{Environment.NewLine}{install}");
    }

    // Never a question (noninteractive, -y), and another apt run holding the package lock (an engineer's or an image
    // build's) is waited for instead of failing the test at once.
    private static Task<ProcessRun> AptGetAsync(string[] arguments) =>
        ProcessRun.StartAsync("apt-get", ["-o", "DPkg::Lock::Timeout=300", .. arguments],
            new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" }, TimeSpan.FromMinutes(10));
}
