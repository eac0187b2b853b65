using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Sluice.EndToEnd.Tests.Accounts;
using Sluice.FairUse;
using Sluice.Stamp;
using Sluice.Storage;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.FairUse;

/// <summary>
/// Fair use when its storage cannot be reached (the fair-use table reached through a <see cref="TcpRelay"/> that the
/// test stops, so the port refuses connections as a stopped storage service does): a cold instance, which knows none
/// of the account's limits, refuses with 503 and <c>Retry-After</c> in the caller's wire format and writes the row;
/// a warm one keeps the limits it knows, admits one unleased share of a rate limit, then refuses with 503 too.
/// </summary>
public sealed class StorageDownTests
{
    [Fact]
    public async Task ColdInstance_ThatCannotReadLimits_Answers503WithRetryAfter_InEachSurfacesShape_AndWritesTheRows()
    {
        var clock = AccountApi.Clock();
        await using var relay = TcpRelay.Start((await Azurite.TablesAsync()).Uri);
        await using var app = await StartThroughAsync(relay, clock);
        var (account, owner) = await app.CreateAccountAsync();
        relay.Stop();

        var chat = await app.ChatAsync(owner, "while storage is away");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), chat.Headers.RetryAfter!.Delta);
        Assert.Equal("5000", chat.Headers.GetValues("retry-after-ms").Single());
        var error = (await chat.BodyAsync()).GetProperty("error");
        Assert.Equal("limits_unavailable", error.GetProperty("code").GetString());
        Assert.Equal("api_error", error.GetProperty("type").GetString());

        var messages = await app.CreateHttpClient(owner).SendAsync(HttpMethod.Post, "v1/messages",
            $$"""{"model":"{{FairUseApi.PricedModel}}","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, messages.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), messages.Headers.RetryAfter!.Delta);
        var anthropic = await messages.BodyAsync();
        Assert.Equal("error", anthropic.GetProperty("type").GetString());
        Assert.Equal("api_error", anthropic.GetProperty("error").GetProperty("type").GetString());

        var rows = await UsageRows.ForAccountAsync(app, account.Id, expected: 2);
        Assert.Equal(2, rows.Count(r => r.GetInt32("Status") == 503 && r.GetString("ErrorCode") == "limits_unavailable"));
        Assert.All(rows, r => Assert.Equal(0, r.GetInt32("PromptTokens") ?? 0));

        // Storage back: the next request loads the limits and is served.
        relay.Start();
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(owner, "storage is back")).StatusCode);
    }

    [Fact]
    public async Task WarmInstance_ThatCannotLease_AdmitsOneUnleasedShare_ThenAnswers503_AndItsRefreshSurvives()
    {
        var clock = AccountApi.Clock();
        await using var relay = TcpRelay.Start((await Azurite.TablesAsync()).Uri);
        await using var app = await StartThroughAsync(relay, clock);
        var (account, owner) = await app.CreateAccountAsync();
        var (keyId, key) = await app.CreateKeyAsync(account.Id, "developer");
        // Shares of 20 / LeaseShares (10) = 2 requests.
        await app.SetLimitsAsync(owner, keyId, """{"requests_per_minute":20,"daily_budget_usd":100}""");
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(key, "1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(key, "2")).StatusCode);

        relay.Stop();
        // The limit is known, the shared count is not: one share of its own, then it cannot know.
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(key, "3")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(key, "4")).StatusCode);
        var refused = await app.ChatAsync(key, "5");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("limits_unavailable", await refused.ErrorCodeAsync());
        Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter!.Delta);
        // The background refresh cannot write or read either; it logs and keeps the last values (it must not throw,
        // or the host's background service would stop the host).
        await app.Gate().RefreshAsync(CancellationToken.None);
        Assert.Contains(app.Logs.Lines, l => l.Contains("Fair use: refreshing limits and spend", StringComparison.Ordinal));

        relay.Start();
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(key, "6")).StatusCode);
        var rows = await UsageRows.ForAccountAsync(app, account.Id, expected: 6);
        Assert.Equal([200, 200, 200, 200, 200, 503], rows.Select(r => r.GetInt32("Status") ?? 0).Order());
    }

    /// <summary>A host whose fair-use stores reach the table service through <paramref name="relay"/>; everything else
    /// (keys, usage rows, rollups) reaches it directly.</summary>
    private static Task<SluiceApplication> StartThroughAsync(TcpRelay relay, FakeTimeProvider clock) =>
        SluiceApplication.StartAsync(FairUseApi.Settings(), clock, services: services =>
        {
            services.AddSingleton(sp => new LimitStore(Relayed(sp, relay)));
            services.AddSingleton(sp => new SpendLedger(Relayed(sp, relay)));
            services.AddSingleton(sp => new RateCounters(Relayed(sp, relay)));
        });

    private static SluiceStorage Relayed(IServiceProvider services, TcpRelay relay)
    {
        var o = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        return new SluiceStorage(Options.Create(new StorageOptions
        {
            TableServiceUri = relay.Through(o.TableServiceUri!),
            BlobServiceUri = o.BlobServiceUri,
            Audience = o.Audience,
            Credential = o.Credential,
            Transport = o.Transport,
            TablePrefix = o.TablePrefix,
            PayloadContainer = o.PayloadContainer,
            LockContainer = o.LockContainer,
            KeyRingContainer = o.KeyRingContainer,
        }), services.GetRequiredService<IOptions<StampOptions>>());
    }
}
