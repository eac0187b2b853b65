using System.Reflection;
using Microsoft.Extensions.Time.Testing;
using Sluice.Testing;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.SignIn;

/// <summary>One test identity provider for the whole test run (it is stateless but for the replay person), and
/// Sluice apps that trust it.</summary>
internal static class SignInFixture
{
    private static readonly Lazy<Task<TestIdentityProvider>> s_provider = new(async () =>
    {
        var provider = await TestIdentityProvider.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return provider;
    });

    public static Task<TestIdentityProvider> ProviderAsync() => s_provider.Value;

    /// <summary>A Sluice local host that trusts the test provider (plus <paramref name="extra"/> settings).</summary>
    public static async Task<SluiceApplication> StartSluiceAsync(IDictionary<string, string?>? extra = null, FakeTimeProvider? time = null)
    {
        var settings = (await ProviderAsync()).Settings();
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        return await SluiceApplication.StartAsync(settings, time);
    }

    /// <summary>The provider's authorization endpoint prefix, where a started sign-in is sent.</summary>
    public static string ProviderAuthority(Uri authority) => new Uri(authority, "connect/authorize").ToString();

    public static string RepoRoot { get; } = Metadata("RepoRoot");

    public static string ProjectDirectory { get; } = Metadata("ProjectDirectory");

    private static string Metadata(string key) =>
        typeof(SignInFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
