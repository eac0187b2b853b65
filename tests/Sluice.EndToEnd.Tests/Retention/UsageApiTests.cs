using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Retention;

/// <summary><c>GET /v1/usage</c>: the account's rows newest first and its totals by day and model.</summary>
public sealed class UsageApiTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 10, 22, 0, 0, TimeSpan.Zero));
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync(time: _time);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Usage_ListsRowsNewestFirst_WithTotalsByDayAndModel()
    {
        var (account, key) = await _app.CreateAccountAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "day one " + i))).RequestId!);
            _time.Advance(TimeSpan.FromMinutes(1));
        }
        _time.Advance(TimeSpan.FromHours(3));
        ids.Add((await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "day two"))).RequestId!);
        _time.Advance(TimeSpan.FromMinutes(1));
        ids.Add((await Gateway.ChatAsync(_app, key, Gateway.ChatBody("nope", "unknown model"))).RequestId!);
        await UsageRows.ForAccountAsync(_app, account.Id, 5);

        var answer = await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/usage?from=2026-03-10&to=2026-03-12");

        Assert.Equal(200, answer.Status);
        var json = answer.Json;
        Assert.Equal(Enumerable.Reverse(ids), json.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.False(json.GetProperty("has_more").GetBoolean());
        var totals = json.GetProperty("totals").EnumerateArray()
            .ToDictionary(t => t.GetProperty("day").GetString() + " " + t.GetProperty("model").GetString());
        Assert.Equal(3, totals["2026-03-10 mock"].GetProperty("requests").GetInt32());
        Assert.Equal(1, totals["2026-03-11 mock"].GetProperty("requests").GetInt32());
        Assert.Equal(1, totals["2026-03-11 nope"].GetProperty("errors").GetInt32());
        var rows = json.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(rows.Where(r => r.GetProperty("created_at").GetDateTimeOffset().Day == 10).Sum(r => r.GetProperty("total_tokens").GetInt64()),
            totals["2026-03-10 mock"].GetProperty("total_tokens").GetInt64());
    }

    [Fact]
    public async Task UsageApiAndExport_BreakRowsAndTotalsDownBySurface()
    {
        var (account, key) = await _app.CreateAccountAsync();
        await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "chat"));
        await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "chat again"));
        Assert.Equal(200, (await Gateway.SendAsync(_app, key, HttpMethod.Post, "v1/messages",
            """{"model":"mock","max_tokens":20,"messages":[{"role":"user","content":"messages"}]}""")).Status);
        Assert.Equal(200, (await Gateway.SendAsync(_app, key, HttpMethod.Post, "v1/embeddings", """{"model":"mock","input":"embed me"}""")).Status);
        Assert.Equal(200, (await Gateway.SendAsync(_app, key, HttpMethod.Post, "v1/responses", """{"model":"mock","input":"respond"}""")).Status);
        await UsageRows.ForAccountAsync(_app, account.Id, 5);

        var json = (await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/usage?from=2026-03-10&to=2026-03-11")).Json;
        var rows = json.GetProperty("data").EnumerateArray().ToList();
        var totals = json.GetProperty("totals").EnumerateArray().ToDictionary(t => t.GetProperty("endpoint").GetString()!);
        Assert.Equal(["chat.completions", "embeddings", "messages", "responses"], totals.Keys.Order(StringComparer.Ordinal));
        foreach (var (endpoint, total) in totals)
        {
            var served = rows.Where(r => r.GetProperty("endpoint").GetString() == endpoint).ToList();
            Assert.Equal(served.Count, total.GetProperty("requests").GetInt32());
            Assert.Equal(served.Sum(r => r.GetProperty("total_tokens").GetInt64()), total.GetProperty("total_tokens").GetInt64());
            Assert.Equal("mock", total.GetProperty("model").GetString());
        }
        Assert.Equal(2, totals["chat.completions"].GetProperty("requests").GetInt32());

        using var client = _app.CreateHttpClient(key);
        var export = (await client.GetStringAsync("v1/account/export")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var exported = export.Where(l => l.GetProperty("type").GetString() == "rollup").Select(l => l.GetProperty("data"))
            .ToDictionary(r => r.GetProperty("endpoint").GetString()!, r => r.GetProperty("requests").GetInt32());
        Assert.Equal(totals.ToDictionary(t => t.Key, t => t.Value.GetProperty("requests").GetInt32()), exported);
        Assert.Equal(rows.Select(r => r.GetProperty("endpoint").GetString()).Order(StringComparer.Ordinal),
            export.Where(l => l.GetProperty("type").GetString() == "usage").Select(l => l.GetProperty("data").GetProperty("endpoint").GetString())
                .Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Usage_PagesWithLimit_AndNextTo()
    {
        var (account, key) = await _app.CreateAccountAsync();
        for (var i = 0; i < 5; i++)
        {
            await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "x"));
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        await UsageRows.ForAccountAsync(_app, account.Id, 5);

        var first = (await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/usage?from=2026-03-10&limit=3")).Json;
        Assert.Equal(3, first.GetProperty("data").GetArrayLength());
        Assert.True(first.GetProperty("has_more").GetBoolean());
        var nextTo = Uri.EscapeDataString(first.GetProperty("next_to").GetDateTimeOffset().ToString("O", CultureInfo.InvariantCulture));
        var second = (await Gateway.SendAsync(_app, key, HttpMethod.Get, $"v1/usage?from=2026-03-10&to={nextTo}&limit=3")).Json;

        var ids = first.GetProperty("data").EnumerateArray().Concat(second.GetProperty("data").EnumerateArray())
            .Select(r => r.GetProperty("id").GetString()).Distinct().ToList();
        Assert.Equal(5, ids.Count);
        Assert.False(second.GetProperty("has_more").GetBoolean());
    }

    [Theory]
    [InlineData("from=yesterday")]
    [InlineData("from=2026-03-10&to=2026-03-09")]
    [InlineData("from=2024-01-01&to=2026-03-10")]
    [InlineData("limit=0")]
    [InlineData("limit=100001")]
    public async Task BadParameters_Are400(string query)
    {
        var (_, key) = await _app.CreateAccountAsync();
        Assert.Equal(400, (await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/usage?" + query)).Status);
    }
}
