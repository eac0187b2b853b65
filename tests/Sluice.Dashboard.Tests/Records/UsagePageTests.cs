using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Sluice.Retention;
using Sluice.Testing.SignIn;
using Sluice.Usage;

namespace Sluice.Dashboard.Tests.Records;

/// <summary>
/// The Usage page and its CSV against real storage: closed days from the materialised rollups and today from the live
/// counters (what <c>GET /v1/usage</c> totals), per day and per model, charts drawn as SVG with a title and a
/// description beside a table of the same figures, and a CSV whose cells a spreadsheet cannot run as formulas.
/// </summary>
public sealed partial class UsagePageTests
{
    private const string Formula = "=HYPERLINK(\"http://evil.test\",\"x\"),1";

    [Fact]
    public async Task UsagePage_ShowsPerDayAndPerModel_FromClosedRollupsAndTodaysCounters_AndTheCsvHasTheSameFiguresEscaped()
    {
        var now = TimeProvider.System.GetUtcNow();
        var time = new FakeTimeProvider(now.AddDays(-1));
        await using var s = await RecordsScenario.StartAsync(time, new Dictionary<string, string?> { ["Sluice:Retention:RollupCloseDelay"] = "00:00:00" });
        var (yesterday, today) = (DateOnly.FromDateTime(now.UtcDateTime).AddDays(-1), DateOnly.FromDateTime(now.UtcDateTime));
        var meter = s.Get<UsageMeter>();
        await meter.RecordAsync(s.Row(time.GetUtcNow(), "gpt-a", 100, 20, 1_500_000));
        await meter.RecordAsync(s.Row(time.GetUtcNow(), "gpt-a", 50, 10, 500_000));
        await meter.RecordAsync(s.Row(time.GetUtcNow(), Formula, 1, 1, 0, status: 502));
        // Yesterday closes and is rolled up; today's requests are only in the live counters.
        time.SetUtcNow(now);
        await s.Get<PurgeEngine>().RunAsync(CancellationToken.None);
        Assert.Equal(yesterday, await s.Get<RollupTable>().WatermarkAsync(s.Account.Id, CancellationToken.None));
        await meter.RecordAsync(s.Row(now, "gpt-a", 7, 3, 250));
        await meter.RecordAsync(s.Row(now, "@SUM(A1:A9)", 2, 2, 1_000_000_000));
        var alice = await s.JoinAsync(TestIdentityProvider.Alice, "admin");

        var page = (await alice.GetAsync($"{s.AccountPath}/usage")).Last;

        Assert.Equal(HttpStatusCode.OK, page.Status);
        var body = Regex.Replace(page.Body, ">\\s+<", "><");
        // The default range is the last week, today included, shown in the form.
        Assert.Contains($"name=\"from\" type=\"date\" value=\"{Day(today.AddDays(-6))}\"", body, StringComparison.Ordinal);
        Assert.Contains($"name=\"to\" type=\"date\" value=\"{Day(today)}\"", body, StringComparison.Ordinal);
        // Totals: 5 requests, 196 tokens, $1.00200025, 1 error.
        Assert.Matches(@"<dt>Requests</dt><dd>5</dd>", body);
        Assert.Matches(@"<dt>Tokens</dt><dd>196</dd>", body);
        Assert.Matches(@"<dt>Cost</dt><dd>\$1\.00200025</dd>", body);
        // Per day and model, from the rollup (yesterday) and the counters (today); the formula-like model is plain text.
        Assert.Contains(Row(yesterday, "gpt-a", "2", "150", "30", "180", "$0.002", "0"), body, StringComparison.Ordinal);
        Assert.Contains(Row(yesterday, "=HYPERLINK(&quot;http://evil.test&quot;,&quot;x&quot;),1", "1", "1", "1", "2", "$0", "1"), body, StringComparison.Ordinal);
        Assert.Contains(Row(today, "gpt-a", "1", "7", "3", "10", "$0.00000025", "0"), body, StringComparison.Ordinal);
        Assert.Contains(Row(today, "@SUM(A1:A9)", "1", "2", "2", "4", "$1", "0"), body, StringComparison.Ordinal);
        // A day without requests is a row of zeros, so the table has every day the charts draw.
        Assert.Contains($"<tr><th scope=\"row\" class=\"day\">{Day(today.AddDays(-3))}</th><td>none</td>", body, StringComparison.Ordinal);
        // Per model: the most expensive first.
        var perModel = body[body.IndexOf("<caption>Usage per model", StringComparison.Ordinal)..];
        Assert.True(perModel.IndexOf("@SUM(A1:A9)", StringComparison.Ordinal) < perModel.IndexOf("gpt-a", StringComparison.Ordinal));
        // Three charts, each an image with a title and a description, one column per day (7), the tallest the busiest day.
        var charts = Chart().Matches(body);
        Assert.Equal(["Requests per day", "Tokens per day", "Cost per day"], charts.Select(c => c.Groups["title"].Value));
        Assert.All(charts, c => Assert.Contains($"from {Day(today.AddDays(-6))} to {Day(today)}", c.Groups["desc"].Value, StringComparison.Ordinal));
        Assert.Contains($"the most on {Day(yesterday)} (3)", charts[0].Groups["desc"].Value, StringComparison.Ordinal);
        Assert.All(charts, c => Assert.Equal(7, Regex.Count(c.Value, "<rect class=\"bar\"")));
        Assert.Contains($"<title>{Day(yesterday)}: 3</title>", charts[0].Value, StringComparison.Ordinal);
        // Nothing a browser would fetch or run: no script and no URL but Sluice's own.
        Assert.DoesNotContain("<script", body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'", page.Headers["Content-Security-Policy"]);

        var csvLink = WebUtility.HtmlDecode(CsvLink().Match(body).Groups["href"].Value);
        var csv = (await alice.GetAsync(csvLink)).Last;

        Assert.Equal(HttpStatusCode.OK, csv.Status);
        Assert.Equal("text/csv; charset=utf-8", csv.ContentType);
        Assert.StartsWith($"attachment; filename=sluice-usage-{s.Account.Id}-{Day(today.AddDays(-6))}-to-{Day(today)}.csv",
            csv.Headers["Content-Disposition"], StringComparison.Ordinal);
        var lines = csv.Body.Split("\r\n");
        Assert.Equal("day,model,requests,prompt_tokens,completion_tokens,total_tokens,cost_usd,errors", lines[0]);
        Assert.Equal("", lines[^1]);
        Assert.Equal(new[]
        {
            $"{Day(today)},'@SUM(A1:A9),1,2,2,4,1,0",
            $"{Day(today)},gpt-a,1,7,3,10,0.00000025,0",
            $"{Day(yesterday)},\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\"),1\",1,1,1,2,0,1",
            $"{Day(yesterday)},gpt-a,2,150,30,180,0.002,0",
        }.Order(StringComparer.Ordinal), lines[1..^1].Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("from=2026-13-01&to=2026-12-01", "&#x27;from&#x27; must be a date (yyyy-MM-dd, UTC).", "from")]
    [InlineData("from=2026-12-01&to=yesterday", "&#x27;to&#x27; must be a date (yyyy-MM-dd, UTC).", "to")]
    [InlineData("from=2026-12-02&to=2026-12-01", "&#x27;from&#x27; must be before &#x27;to&#x27;, at most 400 days apart.", "from")]
    [InlineData("from=2024-01-01&to=2026-12-01", "&#x27;from&#x27; must be before &#x27;to&#x27;, at most 400 days apart.", "from")]
    public async Task ARangeThatIsNotDatesInOrderAndBounded_IsRefusedWithTheFormAgain_AndNoCsv(string query, string message, string field)
    {
        await using var s = await RecordsScenario.StartAsync();
        var alice = await s.JoinAsync(TestIdentityProvider.Alice, "owner");

        var page = (await alice.GetAsync($"{s.AccountPath}/usage?{query}")).Last;
        var csv = (await alice.GetAsync($"{s.AccountPath}/usage/csv?{query}")).Last;

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Contains($"<p class=\"error\" role=\"alert\" id=\"usage-error\">{message}</p>", page.Body, StringComparison.Ordinal);
        Assert.Matches($"name=\"{field}\" type=\"date\" value=\"[^\"]*\" required aria-invalid=\"true\"", page.Body);
        Assert.DoesNotContain("<svg", page.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, csv.Status);
        Assert.StartsWith("text/html", csv.ContentType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARangeOfExactly400Days_IsShown()
    {
        await using var s = await RecordsScenario.StartAsync();
        var alice = await s.JoinAsync(TestIdentityProvider.Alice, "admin");

        var page = (await alice.GetAsync($"{s.AccountPath}/usage?from=2025-01-01&to=2026-02-04")).Last;

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(400, Regex.Count(Chart().Match(page.Body).Value, "<rect class=\"bar\""));
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Row(DateOnly day, string model, params string[] figures) =>
        $"<th scope=\"row\" class=\"day\">{Day(day)}</th><td>{model}</td>" + string.Concat(figures.Select(f => $"<td class=\"num\">{f}</td>"));

    [GeneratedRegex("<svg viewBox=\"[^\"]*\" role=\"img\" aria-labelledby=\"(?<id>[a-z-]+)-title [a-z-]+-desc\"[^>]*>\\s*<title id=\"\\k<id>-title\">(?<title>[^<]*)</title>\\s*<desc id=\"\\k<id>-desc\">(?<desc>[^<]*)</desc>.*?</svg>", RegexOptions.Singleline)]
    private static partial Regex Chart();

    [GeneratedRegex("<a class=\"button\" href=\"(?<href>[^\"]*)\" download>Download CSV</a>")]
    private static partial Regex CsvLink();
}
