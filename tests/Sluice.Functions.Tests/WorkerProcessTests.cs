using System.Net;
using System.Net.Sockets;
using Sluice.Testing;

namespace Sluice.Functions.Tests;

/// <summary>
/// The published worker started the way the Functions host starts it (<c>dotnet Sluice.Functions.dll</c> with the
/// host's gRPC endpoint and ids as <c>--functions-*</c> arguments, app settings as environment variables), against an
/// endpoint where nothing listens. How far it gets shows what ran: the composition, start-up validation, and only
/// then the hosted services, the worker's gRPC connection first.
/// </summary>
public sealed class WorkerProcessTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    private static async Task<ProcessRun> StartWorkerAsync(IReadOnlyDictionary<string, string?> appSettings)
    {
        var directory = await PublishedApp.DirectoryAsync();
        return await ProcessRun.StartAsync(ProcessRun.Dotnet,
            [
                Path.Combine(directory, "Sluice.Functions.dll"),
                "--functions-uri", $"http://127.0.0.1:{DeadPort()}/",
                "--functions-worker-id", Guid.NewGuid().ToString(),
                "--functions-request-id", Guid.NewGuid().ToString(),
                "--functions-grpc-max-message-length", "2147483647",
            ],
            appSettings, s_timeout);
    }

    /// <summary>A loopback port that was free a moment ago: connecting to it is refused.</summary>
    private static int DeadPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task WithTheSampleSettings_TheWorkerPassesStartUpValidation_AndGetsAsFarAsConnectingToTheHost()
    {
        var run = await StartWorkerAsync(await SampleSettings.AppSettingsAsync());

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Grpc.Core.RpcException", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("StatusCode=\"Unavailable\"", run.StandardError, StringComparison.Ordinal);
        // The gRPC client is started by the worker's hosted service, which the host starts only after validation.
        Assert.Contains("WorkerHostedService.StartAsync", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("OptionsValidationException", run.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithAnUnresolvedKeyVaultReference_TheWorkerStopsAtValidation_NamingTheSetting_BeforeAnyConnection()
    {
        var settings = await SampleSettings.AppSettingsAsync();
        settings["Sluice__Payloads__MasterKey"] = "@Microsoft.KeyVault(VaultName=kv-sluice-abc;SecretName=payload-master-key)";

        var run = await StartWorkerAsync(settings);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("OptionsValidationException", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("Unresolved Key Vault reference in app setting(s) Sluice__Payloads__MasterKey", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("RpcException", run.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("WorkerHostedService", run.ToString(), StringComparison.Ordinal);
    }
}
