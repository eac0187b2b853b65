using System.ClientModel;
using System.Net;
using OpenAI.Chat;
using Sluice.EndToEnd.Tests.Accounts;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.FairUse;

/// <summary>Rate limits per UTC minute: 429 with <c>Retry-After</c> and OpenAI's <c>x-ratelimit-*</c> headers, so the
/// official SDK backs off by itself; across instances, never more than the limit in a minute.</summary>
public sealed class RateLimitTests
{
    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : throw new Xunit.Sdk.XunitException($"No {name} header.");

    [Fact]
    public async Task KeyAtFiveRequestsPerMinute_GetsA429WithRetryAfterAndTheHeaders_OnTheSixth()
    {
        var clock = AccountApi.Clock();
        await using var app = await FairUseApi.StartAsync(clock);
        var (account, owner) = await app.CreateAccountAsync();
        var (keyId, key) = await app.CreateKeyAsync(account.Id, "developer");
        await app.SetLimitsAsync(owner, keyId, """{"requests_per_minute":5}""");
        clock.Advance(TimeSpan.FromSeconds(15));

        for (var i = 0; i < 5; i++)
        {
            var served = await app.ChatAsync(key, "rate " + i);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal("5", Header(served, "x-ratelimit-limit-requests"));
            Assert.Equal((4 - i).ToString(System.Globalization.CultureInfo.InvariantCulture), Header(served, "x-ratelimit-remaining-requests"));
        }
        var refused = await app.ChatAsync(key, "the sixth");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("rate_limit_exceeded", await refused.ErrorCodeAsync());
        Assert.Equal(TimeSpan.FromSeconds(45), refused.Headers.RetryAfter!.Delta);
        Assert.Equal("45000", Header(refused, "retry-after-ms"));
        Assert.Equal("5", Header(refused, "x-ratelimit-limit-requests"));
        Assert.Equal("0", Header(refused, "x-ratelimit-remaining-requests"));
        Assert.Equal("45s", Header(refused, "x-ratelimit-reset-requests"));
        var row = Assert.Single(await UsageRows.ForAccountAsync(app, account.Id, expected: 6), r => r.GetInt32("Status") == 429);
        Assert.Equal("rate_limit_exceeded", row.GetString("ErrorCode"));

        // Another key of the account has its own limit (none here); the next minute serves the key again.
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(owner)).StatusCode);
        clock.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(key, "next minute")).StatusCode);
    }

    [Fact]
    public async Task TokensPerMinute_CountTheEstimateAtAdmission_AndSettleWithTheRealUsage()
    {
        var clock = AccountApi.Clock();
        await using var app = await FairUseApi.StartAsync(clock);
        var (account, owner) = await app.CreateAccountAsync();
        var (keyId, key) = await app.CreateKeyAsync(account.Id, "developer");
        const int limit = 100;
        await app.SetLimitsAsync(owner, keyId, $$"""{"tokens_per_minute":{{limit}}}""");

        // A prompt of about ten tokens, an answer of about thirty: counted at its estimate only, ten would fit.
        var served = new List<HttpResponseMessage>();
        HttpResponseMessage response;
        while ((response = await app.ChatAsync(key, "tokens " + served.Count)).StatusCode == HttpStatusCode.OK)
        {
            served.Add(response);
            Assert.True(served.Count < 10, "The tokens-per-minute limit never refused.");
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Contains("tokens per minute", (await response.BodyAsync()).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(limit.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(response, "x-ratelimit-limit-tokens"));
        var rows = (await UsageRows.ForAccountAsync(app, account.Id, expected: served.Count + 1)).Where(r => r.GetInt32("Status") == 200)
            .OrderByDescending(r => r.RowKey, StringComparer.Ordinal).ToList();
        var used = rows.Select(r => (r.GetInt32("PromptTokens") ?? 0) + (r.GetInt32("CompletionTokens") ?? 0)).ToList();
        // Settled: the real usage, not the estimates, filled the minute; the overshoot is at most the last answer's
        // completion tokens (docs/fair-use.md).
        Assert.True(used.Sum() - (rows[^1].GetInt32("CompletionTokens") ?? 0) <= limit, $"served {string.Join('+', used)} tokens");
        Assert.InRange(served.Count, 2, 4);
        // Each answer's remaining-tokens header already counts the earlier answers' real usage.
        Assert.True(int.Parse(Header(served[^1], "x-ratelimit-remaining-tokens"), System.Globalization.CultureInfo.InvariantCulture) <= limit - used[0]);
    }

    [Fact]
    public async Task TheOpenAIClient_WaitsOutRetryAfter_AndSucceeds()
    {
        var clock = AccountApi.Clock();
        await using var app = await FairUseApi.StartAsync(clock);
        var (account, owner) = await app.CreateAccountAsync();
        var (keyId, key) = await app.CreateKeyAsync(account.Id, "developer");
        await app.SetLimitsAsync(owner, keyId, """{"requests_per_minute":2}""");
        // One second before the minute ends, so Retry-After is one second.
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(key, "one")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(key, "two")).StatusCode);

        var call = app.OpenAIChat(key, FairUseApi.PricedModel).CompleteChatAsync([new UserChatMessage("three")]);
        // The 429's row is committed before its answer ends: once it is there, the minute may turn.
        while (!(await UsageRows.ForAccountAsync(app, account.Id, expected: 3)).Any(r => r.GetInt32("Status") == 429))
        {
            Assert.False(call.IsCompleted, "The call ended without a 429.");
            await Task.Delay(10);
        }
        clock.Advance(TimeSpan.FromSeconds(2));
        ClientResult<ChatCompletion> completion = await call;

        Assert.NotEmpty(completion.Value.Content);
        var rows = await UsageRows.ForAccountAsync(app, account.Id, expected: 4);
        Assert.Equal([200, 200, 200, 429], rows.Select(r => r.GetInt32("Status") ?? 0).Order());
    }

    [Fact]
    public async Task TwoInstancesSharingStorage_TogetherAdmitNoMoreThanTheLimit()
    {
        var clock = AccountApi.Clock();
        await using var first = await FairUseApi.StartAsync(clock);
        await using var second = await FairUseApi.StartSecondInstanceAsync(first, clock);
        var (account, owner) = await first.CreateAccountAsync();
        var (keyId, key) = await first.CreateKeyAsync(account.Id, "developer");
        const int limit = 20;
        await first.SetLimitsAsync(owner, keyId, $$"""{"requests_per_minute":{{limit}}}""");

        // Three clients per instance, ten requests each: three times the limit, at once.
        var calls = Enumerable.Range(0, 6).Select(async worker =>
        {
            var app = worker % 2 == 0 ? first : second;
            var statuses = new List<(int Instance, HttpStatusCode Status)>(10);
            for (var i = 0; i < 10; i++)
            {
                statuses.Add((worker % 2, (await app.ChatAsync(key, $"worker {worker} call {i}")).StatusCode));
            }
            return statuses;
        });
        var all = (await Task.WhenAll(calls)).SelectMany(s => s).ToList();

        // docs/fair-use.md: requests never overshoot (leases sum to at most the limit); while both instances keep
        // receiving requests each uses up what it leased, so the minute admits exactly the limit. (How it is shared
        // depends on which instance is faster: one may take it all.)
        Assert.Equal(limit, all.Count(s => s.Status == HttpStatusCode.OK));
        Assert.Equal(2 * limit, all.Count(s => s.Status == HttpStatusCode.TooManyRequests));

        // The next minute, both serve again.
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await first.ChatAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second.ChatAsync(key)).StatusCode);
    }

    [Fact]
    public async Task ALimitSetOnOneInstance_TakesEffectOnTheOther_AtItsNextRefresh()
    {
        var clock = AccountApi.Clock();
        await using var first = await FairUseApi.StartAsync(clock);
        await using var second = await FairUseApi.StartSecondInstanceAsync(first, clock);
        var (account, owner) = await first.CreateAccountAsync();
        var (keyId, key) = await first.CreateKeyAsync(account.Id, "developer");
        Assert.Equal(HttpStatusCode.OK, (await second.ChatAsync(key, "before")).StatusCode);

        await first.SetLimitsAsync(owner, keyId, """{"requests_per_minute":1}""");
        Assert.Equal(HttpStatusCode.OK, (await first.ChatAsync(key, "first's one")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await first.ChatAsync(key, "at once here")).StatusCode);
        // The second still holds the limits it loaded: a change reaches it within one refresh interval.
        Assert.Equal(HttpStatusCode.OK, (await second.ChatAsync(key, "not yet there")).StatusCode);

        await second.Gate().RefreshAsync(CancellationToken.None);
        var refused = await second.ChatAsync(key, "now there");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("1", Header(refused, "x-ratelimit-limit-requests"));
    }
}
