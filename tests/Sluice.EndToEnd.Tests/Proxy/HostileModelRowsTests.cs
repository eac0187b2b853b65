using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Testing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Proxy;

/// <summary>
/// Model names that storage cannot hold as they are (long, or full of characters table keys may not contain) share
/// group-commit transactions with ordinary requests. Before the fix one such row failed its whole transaction and took
/// the other requests' rows with it; now every request, hostile or not, has exactly one row. Names over
/// <see cref="ChatRequest.MaxModelLength"/> or with control characters are refused with a 400 whose row has no model;
/// names at the cap made of key-forbidden characters reach storage and are kept as sent (their row key is hashed).
/// </summary>
public sealed class HostileModelRowsTests
{
    /// <summary>At the cap (plain, and key-forbidden characters whose escaped key is over 512), then over it.</summary>
    public static readonly string[] HostileModels =
    [
        new string('m', ChatRequest.MaxModelLength),
        string.Concat(Enumerable.Repeat("/#?%\\", 51)) + "/",
        new string('m', 505),
        string.Concat(Enumerable.Repeat("a/b#c?d%e\\", 103)),
        "ctl\u0001\u001f\u007f\u0085" + new string('x', 60),
    ];

    private static bool Accepted(string model) =>
        model.Length <= ChatRequest.MaxModelLength && !model.Any(char.IsControl);

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
        // Each accepted hostile name kept as sent and counted apart; each refused one a 400 row with no model.
        foreach (var (id, model) in ids.Zip(models))
        {
            var row = Assert.Single(rows, r => r.GetString("RequestId") == id);
            Assert.Equal(Accepted(model) ? model : "", row.GetString("Model") ?? "");
            if (!Accepted(model))
            {
                Assert.Equal(400, row.GetInt32("Status"));
            }
        }
        var totals = await app.Services.GetRequiredService<RollupTable>().TotalsAsync(account.Id, Today.AddDays(-1), Today, CancellationToken.None);
        Assert.Equal(1 + HostileModels.Count(Accepted) + 1, totals.Count);
        Assert.Equal(models.Count, totals.Sum(t => t.Requests));
    }
}
