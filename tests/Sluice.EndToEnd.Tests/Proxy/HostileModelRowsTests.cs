using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Testing;
using Sluice.Usage;

namespace Sluice.EndToEnd.Tests.Proxy;

/// <summary>
/// Model names that storage cannot hold as they are (long, or full of characters table keys may not contain) share
/// group-commit transactions with ordinary requests. Before the fix one such row failed its whole transaction and took
/// the other requests' rows with it; now every request, hostile or not, has exactly one row.
/// </summary>
public sealed class HostileModelRowsTests
{
    /// <summary>Key-forbidden characters and the escape character itself, over the length that broke the key.</summary>
    public static readonly string[] HostileModels =
    [
        new string('m', 505),
        string.Concat(Enumerable.Repeat("/#?%\\", 34)),
        string.Concat(Enumerable.Repeat("a/b#c?d%e\\", 103)),
        "ctl\u0001\u001f\u007f\u0085" + new string('x', 600),
    ];

    private static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    [Theory]
    // The Functions host's metering mode (each request waits for its row) with no gathering, then the local host's.
    [InlineData("true", "00:00:00")]
    [InlineData("false", "00:00:00.050")]
    public async Task FiftyNormalRequests_MixedWithHostileModels_EachHaveExactlyOneRow(string waitForCommit, string gatherDelay)
    {
        await using var app = await SluiceApplication.StartAsync(new Dictionary<string, string?>
        {
            ["Sluice:Usage:WaitForCommit"] = waitForCommit,
            ["Sluice:Usage:GatherDelay"] = gatherDelay,
        });
        var (account, key) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(key);
        var models = Enumerable.Range(0, 50).Select(_ => "mock")
            .Concat(Enumerable.Range(0, 6).SelectMany(_ => HostileModels))
            .OrderBy(_ => Random.Shared.Next())
            .ToList();

        var ids = await Task.WhenAll(models.Select(async model =>
        {
            var body = JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "hello" } } });
            using var response = await client.PostAsync("v1/chat/completions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            return Assert.Single(response.Headers.GetValues("x-request-id"));
        }));

        var rows = await UsageRows.ForAccountAsync(app, account.Id, models.Count);
        var perRequest = rows.GroupBy(r => r.GetString("RequestId")).ToDictionary(g => g.Key!, g => g.Count());
        Assert.All(ids, id => Assert.Equal(1, perRequest.GetValueOrDefault(id)));
        Assert.Equal(models.Count, rows.Count);
        Assert.Equal(50, rows.Count(r => r.GetString("Model") == "mock" && r.GetInt32("Status") == 200));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains("could not be written", StringComparison.Ordinal));
        // Each hostile name kept as it was when it fits a row, else its start and a fingerprint; counted apart.
        foreach (var (id, model) in ids.Zip(models))
        {
            var stored = Assert.Single(rows, r => r.GetString("RequestId") == id).GetString("Model")!;
            Assert.True(model.Length <= UsageTable.MaxTextLength ? stored == model : stored.StartsWith(model[..900], StringComparison.Ordinal) && stored != model);
        }
        var totals = await app.Services.GetRequiredService<RollupTable>().TotalsAsync(account.Id, Today.AddDays(-1), Today, CancellationToken.None);
        Assert.Equal(HostileModels.Length + 1, totals.Count);
        Assert.Equal(models.Count, totals.Sum(t => t.Requests));
    }
}
