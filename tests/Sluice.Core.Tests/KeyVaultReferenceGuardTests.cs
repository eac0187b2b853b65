using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Testing;

namespace Sluice.Core.Tests;

public sealed class KeyVaultReferenceGuardTests
{
    // What App Service leaves in a setting whose reference it could not resolve; the secret name doubles as a canary.
    private const string Unresolved = "@Microsoft.KeyVault(VaultName=kv-sluice-abc;SecretName=canary-5f1e9b)";

    [Fact]
    public void FindUnresolved_NamesEverySettingSluiceReads_AsAppSettingNames()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:Payloads:MasterKey"] = Unresolved,
            ["Sluice:Operator:Secret"] = "  " + Unresolved.ToUpperInvariant(),
            ["Sluice:DataRegion"] = "eu",
            ["SLUICE_PURGE_SCHEDULE"] = Unresolved,
            ["Sluice:Routing:Routes:0:Model"] = "gpt-4o-mini",
            ["Sluice:Routing:Routes:0:ApiKeySetting"] = "OPENAI_API_KEY",
            ["OPENAI_API_KEY"] = Unresolved,
            ["Sluice:Routing:Routes:1:Model"] = "mock",
            // Not read by Sluice: another app's setting is not this app's business.
            ["SOME_OTHER_SETTING"] = Unresolved,
        }).Build();

        var unresolved = KeyVaultReferenceGuard.FindUnresolved(configuration);

        Assert.Equal(["OPENAI_API_KEY", "SLUICE_PURGE_SCHEDULE", "Sluice__Operator__Secret", "Sluice__Payloads__MasterKey"], unresolved);
    }

    [Fact]
    public void FindUnresolved_ResolvedSettings_AreFine()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:Payloads:MasterKey"] = "DevOnlyMasterKeyNotASecretDoNotUseInAzure00=",
            ["Sluice:Operator:Secret"] = "a resolved value that mentions @Microsoft.KeyVault( later on",
            ["Sluice:Routing:Routes:0:ApiKeySetting"] = "MISSING_SETTING",
        }).Build();

        Assert.Empty(KeyVaultReferenceGuard.FindUnresolved(configuration));
    }

    [Fact]
    public async Task Host_WithAnUnresolvedReference_RefusesToStart_NamingTheSettingButNotItsValue()
    {
        var logs = new LogCapture();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Nothing listens here: if any hosted service (storage set-up, usage meter) started, the test would hang.
            ["Sluice:Storage:TableServiceUri"] = "https://127.0.0.1:9/",
            ["Sluice:Storage:BlobServiceUri"] = "https://127.0.0.1:9/",
            ["Sluice:Payloads:MasterKey"] = Unresolved,
        });
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddSluice();
        using var host = builder.Build();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(timeout.Token));

        Assert.False(timeout.IsCancellationRequested);
        Assert.Contains("Sluice__Payloads__MasterKey", failure.ToString(), StringComparison.Ordinal);
        Assert.Contains(logs.Lines, line => line.StartsWith("Critical", StringComparison.Ordinal)
            && line.Contains("Sluice__Payloads__MasterKey", StringComparison.Ordinal));
        Assert.DoesNotContain("canary-5f1e9b", failure.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, line => line.Contains("canary-5f1e9b", StringComparison.Ordinal));
    }
}
