using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Host.Dev;
using Sluice.Stamp;
using Sluice.Storage;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Load;

/// <summary>
/// (d) Sluice's metering path on its own: the gateway's <see cref="UsageMeter"/>, with the local host's usage options
/// (from its appsettings.json), fed usage rows in this process by 32 callers as fast as it takes them, with no HTTP at
/// all. Its rows/s is the most any Sluice request path could be metered at on this machine with this storage, so it
/// bounds (c)'s requests/s at c32; its CPU per row splits what metering costs the gateway from what it costs Azurite.
/// </summary>
internal static class MeteringAlone
{
    public static async Task<MeteringResult> RunAsync(string connectionString, string tablePrefix, string accountId, TimeSpan duration,
        int azuritePid)
    {
        var hostSettings = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(RepoRoot.Find(), "src", "Sluice.Host", "appsettings.json"))
            .Build();
        var usageOptions = Options.Create(hostSettings.GetSection(UsageOptions.Section).Get<UsageOptions>() ?? new UsageOptions());
        var storage = new SluiceStorage(
            Options.Create(new StorageOptions { ConnectionString = connectionString, TablePrefix = tablePrefix }),
            Options.Create(new StampOptions()));
        var meter = new UsageMeter(new UsageTable(storage, usageOptions), usageOptions, NullLogger<UsageMeter>.Instance);

        long recorded = 0;
        var self = ProcStats.Read(Environment.ProcessId).CpuTicks;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var azurite = ProcStats.Read(azuritePid).CpuTicks;
        var started = DateTime.UtcNow;
        var until = started + duration;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            while (DateTime.UtcNow < until)
            {
                await meter.RecordAsync(Row(accountId));
                Interlocked.Increment(ref recorded);
            }
        })));
        var elapsed = DateTime.UtcNow - started;
        var selfTicks = ProcStats.Read(Environment.ProcessId).CpuTicks - self;
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var azuriteTicks = ProcStats.Read(azuritePid).CpuTicks - azurite;
        // Rows still queued are committed here, as a stopping host would; they count in the table, not in the rate.
        await meter.DisposeAsync();
        return new MeteringResult(recorded, recorded / elapsed.TotalSeconds,
            selfTicks * 1000 / ProcStats.TicksPerSecond / Math.Max(1, recorded),
            azuriteTicks * 1000 / ProcStats.TicksPerSecond / Math.Max(1, recorded), bytes / 1024.0 / Math.Max(1, recorded));
    }

    /// <summary>A row like the one a load request through (c) leaves.</summary>
    private static UsageRecord Row(string accountId) => new()
    {
        RequestId = RequestId.New(DateTimeOffset.UtcNow),
        AccountId = accountId,
        KeyId = "load-meter",
        DataRegion = "us",
        Model = LoadStack.Model,
        Provider = "openai-compatible",
        RouteId = "load",
        RouteRegion = "stamp",
        RouteRetention = "none",
        UpstreamModel = LoadStack.Model,
        PromptTokens = 12,
        CompletionTokens = 24,
        CostNanoUsd = 16_200,
        LatencyMs = 0.3,
        Status = 200,
    };
}

internal sealed record MeteringResult(long Rows, double RowsPerSecond, double CpuMsPerRow, double AzuriteCpuMsPerRow, double AllocatedKiBPerRow);
