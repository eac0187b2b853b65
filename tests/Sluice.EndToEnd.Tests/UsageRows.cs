using Azure.Data.Tables;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests;

/// <summary>Reads usage rows straight from the app's table in Azurite, as an operator would see them (through the
/// app's own storage client, so on whichever path the app reaches storage).</summary>
internal static class UsageRows
{
    /// <summary>The account's rows once at least <paramref name="expected"/> exist. In the tests' setting (the Functions
    /// app's) a row is committed before its answer ends; polling covers tests of hosts that commit after.</summary>
    public static async Task<List<TableEntity>> ForAccountAsync(SluiceApplication app, string accountId, int expected = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var rows = await ReadAsync(app, accountId);
            if (rows.Count >= expected || DateTime.UtcNow > deadline)
            {
                return rows;
            }
            await Task.Delay(20);
        }
    }

    private static async Task<List<TableEntity>> ReadAsync(SluiceApplication app, string accountId)
    {
        var table = app.Storage.Usage;
        var rows = new List<TableEntity>();
        await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"AccountId eq {accountId}")))
        {
            rows.Add(e);
        }
        return rows;
    }
}
