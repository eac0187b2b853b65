using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Testing;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Proxy;

/// <summary>
/// Request bodies in flight share one memory budget (<c>Sluice:Proxy:MaxBufferedRequestBytes</c>): concurrent large
/// bodies past it are refused with 503, <c>Retry-After</c> and a usage row, the admitted ones are served, and the
/// budget is whole again once they end.
/// </summary>
public sealed class BodyBudgetEndToEndTests
{
    private const int BodyLimit = 64 * 1024;

    [Fact]
    public async Task ConcurrentLargeBodiesPastTheBudget_Get503WithRetryAfter_AndTheBudgetIsWholeAgainAfterwards()
    {
        await using var upstream = await FakeOpenAIUpstream.StartAsync();
        // About 250 KB held per 60 KB body (its array, the parsed index, the upstream copy): four fit in 1 MiB at most.
        await using var app = await SluiceApplication.StartAsync(new RouteSettings()
            .Add("gpt-test", "openai", upstream.BaseUrl)
            .With("Sluice:Proxy:MaxRequestBodyBytes", BodyLimit.ToString(CultureInfo.InvariantCulture))
            .With("Sluice:Proxy:MaxBufferedRequestBytes", (1024 * 1024).ToString(CultureInfo.InvariantCulture)));
        var (account, key) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(key);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        upstream.Behavior = new FakeBehavior { HoldHeadersUntil = release.Task };
        const int requests = 8;

        var rejected = 0;
        var sends = Enumerable.Range(0, requests).Select(async i =>
        {
            // Half declare their length, half are sent chunked and take their share as they grow.
            using var response = await client.PostAsync("v1/chat/completions", LargeBody(chunked: i % 2 == 1));
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Interlocked.Increment(ref rejected);
            }
            return (response.StatusCode, response.Headers.RetryAfter, Body: await response.Content.ReadAsStringAsync());
        }).ToList();

        // Every request is either held at the upstream (admitted) or already refused.
        await Eventually.Until(() => upstream.Calls + Volatile.Read(ref rejected) == requests);
        release.SetResult();
        var answers = await Task.WhenAll(sends);

        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        var served = answers.Count(a => a.StatusCode == HttpStatusCode.OK);
        Assert.NotEmpty(refused);
        Assert.InRange(served, 1, 4);
        Assert.Equal(requests, refused.Count + served);
        foreach (var (_, retryAfter, body) in refused)
        {
            Assert.Equal(TimeSpan.FromSeconds(1), retryAfter?.Delta);
            var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
            Assert.Equal("gateway_busy", error.GetProperty("code").GetString());
            Assert.Equal("api_error", error.GetProperty("type").GetString());
        }
        var rows = await UsageRows.ForAccountAsync(app, account.Id, requests);
        Assert.Equal(requests, rows.Count);
        Assert.Equal(refused.Count, rows.Count(r => r.GetInt32("Status") == 503 && r.GetString("ErrorCode") == "gateway_busy"));
        Assert.Equal(served, rows.Count(r => r.GetInt32("Status") == 200));

        // Nothing is left holding the budget: as many large bodies as fit at once are served again.
        upstream.Behavior = new FakeBehavior();
        foreach (var chunked in new[] { false, true })
        {
            using var again = await client.PostAsync("v1/chat/completions", LargeBody(chunked));
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
    }

    /// <summary>A 60 KB chat request, one long message.</summary>
    private static HttpContent LargeBody(bool chunked)
    {
        var json = $$"""{"model":"gpt-test","messages":[{"role":"user","content":"{{new string('x', 60 * 1024)}}"}]}""";
        var bytes = Encoding.UTF8.GetBytes(json);
        if (chunked)
        {
            return ChunkedBody.Of(bytes);
        }
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
