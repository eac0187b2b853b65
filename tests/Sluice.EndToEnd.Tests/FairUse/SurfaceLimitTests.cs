using System.Net;
using Sluice.EndToEnd.Tests.Accounts;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.FairUse;

/// <summary>Limits apply to every API surface the same way, before anything goes upstream, each refusing in its own
/// error shape (Anthropic's on <c>/v1/messages</c>) and writing its usage row.</summary>
public sealed class SurfaceLimitTests
{
    private static readonly (string Path, string Body)[] s_others =
    [
        ("v1/messages", $$"""{"model":"{{FairUseApi.PricedModel}}","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"""),
        ("v1/embeddings", $$"""{"model":"{{FairUseApi.PricedModel}}","input":"hi"}"""),
        ("v1/responses", $$"""{"model":"{{FairUseApi.PricedModel}}","input":"hi"}"""),
    ];

    [Fact]
    public async Task ASpentBudget_AndAnExhaustedRate_RefuseOnEverySurface_InItsOwnShape()
    {
        var clock = AccountApi.Clock();
        await using var app = await FairUseApi.StartAsync(clock);
        var (account, owner) = await app.CreateAccountAsync();
        var (spenderId, spender) = await app.CreateKeyAsync(account.Id, "developer");
        var (limitedId, limited) = await app.CreateKeyAsync(account.Id, "developer");
        await app.SetLimitsAsync(owner, spenderId, """{"daily_budget_usd":0.001}""");
        await app.SetLimitsAsync(owner, limitedId, """{"requests_per_minute":1}""");
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(spender, "spend it")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(limited, "the minute's one")).StatusCode);

        foreach (var (path, body) in s_others)
        {
            var budget = await app.CreateHttpClient(spender).SendAsync(HttpMethod.Post, path, body);
            var rate = await app.CreateHttpClient(limited).SendAsync(HttpMethod.Post, path, body);

            Assert.Equal(HttpStatusCode.Forbidden, budget.StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, rate.StatusCode);
            Assert.NotNull(rate.Headers.RetryAfter);
            Assert.Equal("1", rate.Headers.GetValues("x-ratelimit-limit-requests").Single());
            var (budgetBody, rateBody) = (await budget.BodyAsync(), await rate.BodyAsync());
            if (path == "v1/messages")
            {
                Assert.Equal("permission_error", budgetBody.GetProperty("error").GetProperty("type").GetString());
                Assert.StartsWith("The key's daily budget", budgetBody.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
                Assert.Equal("rate_limit_error", rateBody.GetProperty("error").GetProperty("type").GetString());
            }
            else
            {
                Assert.Equal("budget_exceeded", budgetBody.GetProperty("error").GetProperty("code").GetString());
                Assert.Equal("rate_limit_exceeded", rateBody.GetProperty("error").GetProperty("code").GetString());
            }
        }

        var rows = await UsageRows.ForAccountAsync(app, account.Id, expected: 8);
        foreach (var endpoint in new[] { "messages", "embeddings", "responses" })
        {
            Assert.Contains(rows, r => r.GetString("Endpoint") == endpoint && r.GetInt32("Status") == 403 && r.GetString("ErrorCode") == "budget_exceeded");
            Assert.Contains(rows, r => r.GetString("Endpoint") == endpoint && r.GetInt32("Status") == 429 && r.GetString("ErrorCode") == "rate_limit_exceeded");
        }
    }
}
