using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.SignIn;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.SignIn;

/// <summary>
/// docs/sso.md is what an administrator types into Entra ID, Google, Okta or Keycloak and into the app settings: its
/// redirect URIs must be the callback path the running app's OpenID Connect handler really listens on, its setting
/// names the ones the code binds, and its Bicep example the template's parameter type, whose client secret is a Key
/// Vault reference.
/// </summary>
public sealed partial class SsoDocsTests
{
    private static readonly string s_doc = File.ReadAllText(Path.Combine(SignInFixture.RepoRoot, "docs", "sso.md"));

    [Fact]
    public async Task EveryRedirectUriInTheDoc_IsTheCallbackPathTheAppsOpenIdConnectHandlerListensOn()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var callback = sluice.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>()
            .Get(SignInSchemes.ForProvider(TestIdentityProvider.Name)).CallbackPath.Value!;
        // The path with the provider's name as the placeholder the doc uses, and as a pattern for the named examples.
        Assert.Contains("/" + TestIdentityProvider.Name + "/", callback, StringComparison.Ordinal);
        var placeholder = callback.Replace("/" + TestIdentityProvider.Name + "/", "/<name>/", StringComparison.Ordinal);
        var named = new Regex("^" + Regex.Escape(callback).Replace("/" + TestIdentityProvider.Name + "/", "/(?<name>[a-z0-9-]+)/", StringComparison.Ordinal) + "$");

        var uris = SluiceUrl().Matches(s_doc).Select(m => m.Groups["path"].Value).Where(p => p != "/" + Wire.SluiceRoutes.Dashboard).ToList();
        Assert.Contains(placeholder, uris);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in uris)
        {
            var match = named.Match(path);
            Assert.True(path == placeholder || match.Success, $"docs/sso.md gives the redirect URI <SLUICE_URL>{path}; the app listens on <SLUICE_URL>{placeholder}");
            names.Add(match.Groups["name"].Value);
        }
        // Each provider's section gives the redirect URI for its own name.
        Assert.Superset(new HashSet<string>(["entra", "google", "okta", "keycloak"]), names);
        foreach (var example in ExampleUrl().Matches(s_doc).Select(m => m.Groups["path"].Value))
        {
            Assert.Matches(named, example);
        }
    }

    [Fact]
    public void EverySettingTheDocNames_IsBoundByTheCode_AndEveryProviderSettingIsDocumented()
    {
        var providerProperties = Settable(typeof(SignInProvider));
        var optionsProperties = Settable(typeof(SignInOptions));
        Assert.Equal("Sluice:SignIn", SignInOptions.Section);

        // The settings table: one row per provider setting (a list as its first index).
        var table = TableSetting().Matches(Section("## The settings")).Select(m => m.Groups["name"].Value).ToList();
        Assert.Equal(providerProperties.Order(StringComparer.Ordinal), table.Order(StringComparer.Ordinal));

        // Every full setting name anywhere in the doc.
        var full = FullSetting().Matches(s_doc).ToList();
        Assert.NotEmpty(full);
        foreach (var match in full)
        {
            if (match.Groups["provider"].Success)
            {
                Assert.Contains(match.Groups["property"].Value, providerProperties);
            }
            else
            {
                Assert.Contains(match.Groups["property"].Value, optionsProperties);
            }
        }
    }

    [Fact]
    public void TheDocsBicepExample_UsesTheTemplatesProviderType_AndTheTemplateSetsEveryProviderSetting_WithTheSecretFromKeyVault()
    {
        var types = File.ReadAllText(Path.Combine(SignInFixture.RepoRoot, "bicep", "modules", "types.bicep"));
        var typeBody = types[types.IndexOf("type signInProvider = {", StringComparison.Ordinal)..];
        typeBody = typeBody[..typeBody.IndexOf("\n}", StringComparison.Ordinal)];
        var fields = BicepField().Matches(typeBody).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        var example = Section("### With azd (Bicep)");
        var keys = JsonKey().Matches(example[example.IndexOf("\"signInProviders\"", StringComparison.Ordinal)..]).Select(m => m.Groups["name"].Value)
            .Where(k => k is not ("signInProviders" or "value")).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.Contains(key, fields));
        Assert.Contains("ClientSecretName", keys);

        var app = File.ReadAllText(Path.Combine(SignInFixture.RepoRoot, "bicep", "modules", "functionApp.bicep"));
        var set = BicepSetting().Matches(app).Select(m => m.Groups["property"].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(Settable(typeof(SignInProvider)).Order(StringComparer.Ordinal), set.Order(StringComparer.Ordinal));
        Assert.Matches(@"'Sluice__SignIn__Providers__\$\{provider\.Name\}__ClientSecret': keyVaultReference\(", app);
        // The doc names the reference exactly as the template builds it.
        Assert.Contains("Sluice__SignIn__Providers__entra__ClientSecret = @Microsoft.KeyVault(VaultName=<vault>;SecretName=entra-client-secret)", s_doc,
            StringComparison.Ordinal);
    }

    /// <summary>The public settable properties of an options class: what configuration binds.</summary>
    private static List<string> Settable(Type options) =>
        [.. options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }).Select(p => p.Name)];

    private static string Section(string heading)
    {
        var start = s_doc.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/sso.md has no '{heading}'");
        // Up to the next heading of any level.
        var end = s_doc.IndexOf("\n#", start + heading.Length + 1, StringComparison.Ordinal);
        return end < 0 ? s_doc[start..] : s_doc[start..end];
    }

    [GeneratedRegex(@"<SLUICE_URL>(?<path>/[^\s`]*)")]
    private static partial Regex SluiceUrl();

    [GeneratedRegex(@"https://[a-z0-9.-]+\.azurewebsites\.net(?<path>/[^\s`]*)")]
    private static partial Regex ExampleUrl();

    [GeneratedRegex(@"^\| `(?<name>[A-Za-z]+)(__0`, `__1`, …|__0`, …)?`? \|", RegexOptions.Multiline)]
    private static partial Regex TableSetting();

    [GeneratedRegex(@"Sluice__SignIn__(?:(?<provider>Providers__[^_\s`]+__))?(?<property>[A-Za-z]+)")]
    private static partial Regex FullSetting();

    [GeneratedRegex(@"^\s+(?<name>[A-Za-z]+): ", RegexOptions.Multiline)]
    private static partial Regex BicepField();

    [GeneratedRegex("\"(?<name>[A-Za-z]+)\":")]
    private static partial Regex JsonKey();

    [GeneratedRegex(@"'Sluice__SignIn__Providers__\$\{provider\.Name\}__(?<property>[A-Za-z]+)")]
    private static partial Regex BicepSetting();
}
