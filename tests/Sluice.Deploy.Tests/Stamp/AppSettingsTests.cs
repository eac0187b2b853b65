using Microsoft.Extensions.Configuration;
using Sluice.Deploy.Tests.Bicep;
using Sluice.Proxy;
using Sluice.Retention;
using Sluice.Storage;
using Sluice.Accounts;

namespace Sluice.Deploy.Tests.Stamp;

/// <summary>The function app's settings against what the code binds (found by reflection, see <see cref="BoundSettings"/>).</summary>
public sealed class AppSettingsTests
{
    /// <summary>Bound by the code but deliberately absent in Azure, with the reason.</summary>
    private static readonly Dictionary<string, string> s_localOnly = new()
    {
        ["Sluice__Storage__ConnectionString"] = "Azurite only: shared keys are off in Azure, where the service URIs and the identity are used.",
    };

    /// <summary>Settings the stamp sets itself (identity, endpoints, secrets, region, its place behind the Functions
    /// front end) rather than taking the code's default.</summary>
    private static readonly HashSet<string> s_setByTheStamp =
    [
        "Sluice__DataRegion", "Sluice__ManagedIdentityClientId", "Sluice__Storage__TableServiceUri", "Sluice__Storage__BlobServiceUri",
        "Sluice__Storage__Audience", "Sluice__Payloads__MasterKey", "Sluice__Operator__Secret", "Sluice__Proxy__TrustForwardedFor",
        "Sluice__Proxy__MaxBufferedRequestBytes",
    ];

    /// <summary>Rejected by Flex Consumption as app settings (azure.md section 4, "Flex Consumption plan deprecations").</summary>
    private static readonly string[] s_rejectedByFlex =
    [
        "FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_WORKER_RUNTIME_VERSION", "FUNCTIONS_EXTENSION_VERSION", "FUNCTIONS_MAX_HTTP_CONCURRENCY",
        "FUNCTIONS_WORKER_PROCESS_COUNT", "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTSHARE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTOVERVNET", "WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
        "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT", "WEBSITE_NODE_DEFAULT_VERSION", "WEBSITE_DNS_SERVER", "WEBSITE_VNET_ROUTE_ALL",
        "SCM_DO_BUILD_DURING_DEPLOYMENT", "ENABLE_ORYX_BUILD", "WEBSITE_TIME_ZONE", "TZ", "AzureWebJobsStorage",
    ];

    [Fact]
    public void Reflection_FindsTheOptionsClasses()
    {
        var sections = BoundSettings.OptionsTypes.Select(BoundSettings.SectionOf).ToList();

        Assert.Superset(
            new HashSet<string> { "Sluice", "Sluice:Storage", "Sluice:Retention", "Sluice:Accounts", "Sluice:Operator", "Sluice:Proxy", "Sluice:Usage", "Sluice:DataPolicy" },
            sections.ToHashSet());
        Assert.All(s_localOnly.Keys.Concat(s_setByTheStamp.Where(s => s != "Sluice__Payloads__MasterKey")),
            name => Assert.Contains(name, BoundSettings.All.Select(s => s.AppSetting)));
    }

    [Fact]
    public async Task EverySettingTheCodeBinds_IsAnAppSetting()
    {
        var (stamp, _) = await Deployments.EuReprovision;

        var missing = BoundSettings.All.Where(s => !s_localOnly.ContainsKey(s.AppSetting) && !stamp.AppSettings.ContainsKey(s.AppSetting)).ToList();

        Assert.True(missing.Count == 0,
            $"Add to bicep/modules/sluiceSettings.bicep (or the stamp settings in functionApp.bicep):{Environment.NewLine}{string.Join(Environment.NewLine, missing)}");
        Assert.Contains("Sluice__Payloads__MasterKey", stamp.AppSettings.Keys);
        Assert.Contains(PurgeEngine.ScheduleSetting, stamp.AppSettings.Keys);
    }

    [Fact]
    public async Task EverySluiceAppSetting_IsOneTheCodeBinds()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var bound = BoundSettings.All.Select(s => s.AppSetting).Append("Sluice__Payloads__MasterKey").ToHashSet();

        var unknown = stamp.AppSettings.Keys
            .Where(name => name.StartsWith("Sluice__", StringComparison.Ordinal) && !name.StartsWith("Sluice__Routing__Routes__", StringComparison.Ordinal)
                && !name.StartsWith("Sluice__SignIn__Providers__", StringComparison.Ordinal))
            .Where(name => !bound.Contains(name))
            .ToList();

        Assert.True(unknown.Count == 0, $"App settings no options class binds (misspelled or removed): {string.Join(", ", unknown)}");
    }

    [Fact]
    public async Task TunableSettings_BindToTheCodesOwnDefaults()
    {
        var (stamp, _) = await Deployments.FirstUsProvision;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(stamp.AppSettings
            .Where(s => s.Key.StartsWith("Sluice__", StringComparison.Ordinal) && !s_setByTheStamp.Contains(s.Key))
            .Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), (string?)s.Value))).Build();

        var differences = new List<string>();
        foreach (var options in BoundSettings.OptionsTypes)
        {
            var bound = Activator.CreateInstance(options)!;
            configuration.GetSection(BoundSettings.SectionOf(options)).Bind(bound);
            differences.AddRange(BoundSettings.All
                .Where(s => s.Options == options && !s_setByTheStamp.Contains(s.AppSetting))
                .Where(s => !Equals(s.Property.GetValue(bound), s.Default))
                .Select(s => $"{s.AppSetting}: template binds {s.Property.GetValue(bound) ?? "null"}, code default {s.Default ?? "null"}"));
        }

        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }

    [Fact]
    public async Task StampSettings_DescribeThisStamp()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var settings = stamp.AppSettings;
        var identity = (string)stamp.Single("Microsoft.ManagedIdentity/userAssignedIdentities")["id"]!;
        var dataAccount = (string)Assert.Single(stamp.OfType("Microsoft.Storage/storageAccounts"), a => ((string)a["name"]!).StartsWith("stdata", StringComparison.Ordinal))["id"]!;

        Assert.Equal("eu", settings["Sluice__DataRegion"]);
        Assert.Equal("true", settings["Sluice__Proxy__TrustForwardedFor"]);
        // Request bodies may hold a quarter of the instance: 1 GiB of this stamp's 4,096 MB, and the code's default
        // (512 MiB, stated for the default instance) on a 2,048 MB one.
        Assert.Equal("1073741824", settings["Sluice__Proxy__MaxBufferedRequestBytes"]);
        var (first, _) = await Deployments.FirstUsProvision;
        Assert.Equal(new Sluice.Proxy.ProxyOptions().MaxBufferedRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            first.AppSettings["Sluice__Proxy__MaxBufferedRequestBytes"]);
        Assert.Equal($"[reference('{identity}', '2023-01-31').clientId]", settings["Sluice__ManagedIdentityClientId"]);
        Assert.Equal($"[reference('{dataAccount}', '2025-01-01').primaryEndpoints.table]", settings["Sluice__Storage__TableServiceUri"]);
        Assert.Equal($"[reference('{dataAccount}', '2025-01-01').primaryEndpoints.blob]", settings["Sluice__Storage__BlobServiceUri"]);
        Assert.DoesNotContain("Sluice__Storage__ConnectionString", settings.Keys);
    }

    [Fact]
    public async Task StorageAudience_IsTheDeploymentClouds_AndOneTheCodeAccepts()
    {
        var (stamp, _) = await Deployments.EuReprovision;

        // Chosen by Azure at deployment from the cloud deployed to; the snapshot keeps the expression.
        var expression = stamp.AppSettings["Sluice__Storage__Audience"];
        Assert.EndsWith("[environment().name]]", expression, StringComparison.Ordinal);
        var byCloud = System.Text.RegularExpressions.Regex.Matches(expression, @"'(?<cloud>Azure\w+)', '(?<audience>[^']+)'")
            .ToDictionary(m => m.Groups["cloud"].Value, m => m.Groups["audience"].Value);
        Assert.Equal(new Dictionary<string, string>
        {
            ["AzureCloud"] = Sluice.Storage.StorageOptions.PublicCloudAudience,
            ["AzureChinaCloud"] = Sluice.Storage.StorageOptions.ChinaCloudAudience,
            ["AzureUSGovernment"] = Sluice.Storage.StorageOptions.USGovernmentCloudAudience,
        }, byCloud);
    }

    [Fact]
    public async Task Secrets_AreKeyVaultReferences_ToSecretsTheStampWrites()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var vault = (string)stamp.Single("Microsoft.KeyVault/vaults")["name"]!;
        var secrets = stamp.OfType("Microsoft.KeyVault/vaults/secrets").Select(s => ((string)s["name"]!).Split('/')[^1]).ToList();

        foreach (var setting in new[] { "Sluice__Payloads__MasterKey", "Sluice__Operator__Secret" })
        {
            var match = System.Text.RegularExpressions.Regex.Match(stamp.AppSettings[setting], @"^@Microsoft\.KeyVault\(VaultName=(?<vault>[^;]+);SecretName=(?<secret>[^)]+)\)$");
            Assert.True(match.Success, setting);
            Assert.Equal(vault, match.Groups["vault"].Value);
            Assert.Contains(match.Groups["secret"].Value, secrets);
        }
    }

    [Fact]
    public async Task HostStorage_IsReachedByIdentity()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var identity = (string)stamp.Single("Microsoft.ManagedIdentity/userAssignedIdentities")["id"]!;
        var hostAccount = (string)Assert.Single(stamp.OfType("Microsoft.Storage/storageAccounts"), a => ((string)a["name"]!).StartsWith("sthost", StringComparison.Ordinal))["id"]!;

        Assert.Equal("managedidentity", stamp.AppSettings["AzureWebJobsStorage__credential"]);
        Assert.Equal($"[reference('{identity}', '2023-01-31').clientId]", stamp.AppSettings["AzureWebJobsStorage__clientId"]);
        Assert.Equal($"[reference('{hostAccount}', '2025-01-01').primaryEndpoints.blob]", stamp.AppSettings["AzureWebJobsStorage__blobServiceUri"]);
    }

    [Fact]
    public async Task TheHostsWelcomePage_IsOff()
    {
        var (stamp, _) = await Deployments.EuReprovision;

        // Otherwise GET / answers an anonymous 200 page that names the platform.
        Assert.Equal("true", stamp.AppSettings["AzureWebJobsDisableHomepage"]);
    }

    [Fact]
    public async Task SettingsFlexRejects_AreAbsent()
    {
        var (stamp, _) = await Deployments.EuReprovision;

        Assert.Empty(stamp.AppSettings.Keys.Intersect(s_rejectedByFlex, StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task PurgeSchedule_IsTheCodesDefault_AndParsesAsTheFunctionsTimerParsesIt()
    {
        var (stamp, _) = await Deployments.FirstUsProvision;

        var (_, template) = await Deployments.Build;

        var schedule = stamp.AppSettings[PurgeEngine.ScheduleSetting];
        Assert.Equal(PurgeEngine.DefaultSchedule, schedule);
        Assert.Equal(schedule, (string)template["parameters"]!["purgeSchedule"]!["defaultValue"]!);
        Assert.True(PurgeSchedule.TryParse(schedule, out _, out var error), error);
    }

    [Fact]
    public async Task BuiltInMockRoute_IsDeployedByDefault()
    {
        var (stamp, _) = await Deployments.FirstUsProvision;
        var routes = stamp.AppSettings.Where(s => s.Key.StartsWith("Sluice__Routing__Routes__", StringComparison.Ordinal)).ToDictionary();

        Assert.Equal("mock", routes["Sluice__Routing__Routes__0__Model"]);
        Assert.Equal("mock", routes["Sluice__Routing__Routes__0__Provider"]);
        Assert.Equal("stamp", routes["Sluice__Routing__Routes__0__Region"]);
        Assert.All(routes.Keys, key => Assert.StartsWith("Sluice__Routing__Routes__0__", key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProviderRoute_AddedByParameter_ReadsItsKeyFromKeyVault()
    {
        var stamp = await Deployments.Customised;
        var settings = stamp.AppSettings;
        var vault = (string)stamp.Single("Microsoft.KeyVault/vaults")["name"]!;

        Assert.Equal("mock", settings["Sluice__Routing__Routes__0__Model"]);
        Assert.Equal("gpt-4o-mini", settings["Sluice__Routing__Routes__1__Model"]);
        Assert.Equal("openai", settings["Sluice__Routing__Routes__1__Provider"]);
        Assert.Equal("30", settings["Sluice__Routing__Routes__1__RetentionDays"]);
        Assert.Equal("OPENAI_API_KEY", settings["Sluice__Routing__Routes__1__ApiKeySetting"]);
        Assert.Equal($"@Microsoft.KeyVault(VaultName={vault};SecretName=openai-api-key)", settings["OPENAI_API_KEY"]);
    }

    [Fact]
    public async Task NoSignInProvider_IsDeployedByDefault()
    {
        var (stamp, _) = await Deployments.FirstUsProvision;

        Assert.DoesNotContain(stamp.AppSettings.Keys, key => key.StartsWith("Sluice__SignIn__Providers__", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SignInProvider_AddedByParameter_BindsToTheCodesOptions_AndReadsItsClientSecretFromKeyVault()
    {
        var stamp = await Deployments.Customised;
        var vault = (string)stamp.Single("Microsoft.KeyVault/vaults")["name"]!;
        var settings = stamp.AppSettings.Where(s => s.Key.StartsWith("Sluice__SignIn__Providers__", StringComparison.Ordinal)).ToDictionary();

        Assert.Equal($"@Microsoft.KeyVault(VaultName={vault};SecretName=entra-client-secret)", settings["Sluice__SignIn__Providers__entra__ClientSecret"]);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings
            .Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), (string?)s.Value))).Build();
        var bound = configuration.GetSection(Sluice.SignIn.SignInOptions.Section).Get<Sluice.SignIn.SignInOptions>()!;
        var entra = Assert.Single(bound.Providers).Value;
        Assert.Equal("Microsoft Entra ID", entra.DisplayName);
        Assert.Equal(new Uri("https://login.microsoftonline.com/6f1b8c3e-0000-4000-8000-00000000ce17/v2.0"), entra.Authority);
        Assert.Equal("00000000-0000-4000-8000-00000000c1d0", entra.ClientId);
        Assert.Equal(["6f1b8c3e-0000-4000-8000-00000000ce17"], entra.AllowedTenants);
        Assert.Equal(["contoso.com"], entra.AllowedEmailDomains);
        Assert.True(entra.RequireVerifiedEmail);
    }

    [Fact]
    public async Task TunedSettings_ReplaceDefaults_ButNeverTheStampsOwn()
    {
        var stamp = await Deployments.Customised;

        Assert.Equal("7", stamp.AppSettings["Sluice__Retention__DefaultContentRetentionDays"]);
        Assert.Equal("false", stamp.AppSettings["Sluice__DataPolicy__InRegionOnly"]);
        Assert.Equal("eu", stamp.AppSettings["Sluice__DataRegion"]);
    }
}
