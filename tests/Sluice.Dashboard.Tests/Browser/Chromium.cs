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

    public static Task<IBrowser> BrowserAsync() => s_browser.Value;

    private static async Task<IBrowser> LaunchAsync()
    {
        await EnsureInstalledAsync();
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
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
