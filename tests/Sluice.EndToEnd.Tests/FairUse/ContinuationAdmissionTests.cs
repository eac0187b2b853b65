using System.Net;
using Sluice.EndToEnd.Tests.Accounts;

namespace Sluice.EndToEnd.Tests.FairUse;

/// <summary>A Responses request that continues a stored response (<c>previous_response_id</c>) sends the model the
/// whole stored conversation: admission estimates it with that history, not by the new turn alone.</summary>
public sealed class ContinuationAdmissionTests
{
    [Fact]
    public async Task TokensPerMinute_EstimateAContinuation_WithTheStoredHistoryItContinues()
    {
        var clock = AccountApi.Clock();
        await using var app = await FairUseApi.StartAsync(clock);
        var (account, owner) = await app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(app, owner, """{"content_mode":"retain_all","content_retention_days":10}""")).Status);
        var (keyId, key) = await app.CreateKeyAsync(account.Id, "developer");
        var history = string.Join(' ', Enumerable.Range(0, 400).Select(i => "word" + i));
        var first = await Gateway.SendAsync(app, key, HttpMethod.Post, "v1/responses", $$"""{"model":"mock","input":"{{history}}"}""");
        Assert.Equal(200, first.Status);
        var previous = first.Json.GetProperty("id").GetString();
        await UsageRows.ForAccountAsync(app, account.Id, expected: 1);

        const int limit = 300;
        await app.SetLimitsAsync(owner, keyId, $$"""{"tokens_per_minute":{{limit}}}""");
        clock.Advance(TimeSpan.FromMinutes(1));
        // The new turn alone fits the limit many times over...
        Assert.Equal(200, (await Gateway.SendAsync(app, key, HttpMethod.Post, "v1/responses", """{"model":"mock","input":"and then?"}""")).Status);
        clock.Advance(TimeSpan.FromMinutes(1));

        // ...but with the conversation it continues, it is over it before anything is sent.
        var continued = await Gateway.SendAsync(app, key, HttpMethod.Post, "v1/responses",
            $$"""{"model":"mock","previous_response_id":"{{previous}}","input":"and then?"}""");

        Assert.Equal((int)HttpStatusCode.TooManyRequests, continued.Status);
        var message = continued.Json.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains($"limit of {limit} tokens per minute", message, StringComparison.Ordinal);
        var estimate = int.Parse(message.Split("estimated ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(estimate > 400, $"estimated {estimate} tokens for a continuation of a 400-word conversation");
        var rows = await UsageRows.ForAccountAsync(app, account.Id, expected: 3);
        Assert.Single(rows, r => r.GetInt32("Status") == 429);
    }
}
