using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Sluice.Stamp;
using Sluice.Storage;
using Sluice.Testing;

namespace Sluice.Core.Tests.Storage;

/// <summary>Sluice sends no telemetry anywhere: its storage calls carry no SDK, runtime or OS fingerprint.</summary>
public sealed class StorageTelemetryTests
{
    [Fact]
    public async Task StorageCalls_CarryNoSdkTelemetryUserAgent()
    {
        await using var proxy = await FlakyStorageProxy.StartAsync();
        proxy.LoseEveryNthBatch = int.MaxValue;
        using var access = await Azurite.AccessAsync();
        var storage = new SluiceStorage(Options.Create(access.Options(Azurite.UniqueName("telemetry"), proxy.TableServiceUri)),
            Options.Create(new StampOptions()));

        await storage.Usage.CreateIfNotExistsAsync();
        await storage.Usage.AddEntityAsync(new TableEntity("p", "r") { ["Tokens"] = 1 });
        await storage.Usage.GetEntityAsync<TableEntity>("p", "r");
        await storage.UsageTransactions.SubmitTransactionAsync([new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "r2"))]);

        Assert.True(proxy.UserAgents.Count >= 4);
        Assert.All(proxy.UserAgents, agent =>
        {
            Assert.DoesNotContain("azsdk", agent, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(".NET", agent, StringComparison.OrdinalIgnoreCase);
        });
    }
}
