using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Sluice.Accounts;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>
/// Wrong credentials cost little and are bounded: an address that keeps failing is refused with 429 and
/// <c>Retry-After</c> before any lookup, an unknown key is looked up once, not per attempt, and a burst leaves a bounded
/// number of log lines, never the credential. The app trusts <c>X-Forwarded-For</c> (as behind the Functions front end),
/// which is how these tests speak from several addresses; each address may fail 10 times a minute.
/// </summary>
public sealed class FailedAuthenticationTests
{
    private const int Limit = 10;

    [Fact]
    public async Task ABurstOfWrongKeysFromOneAddress_Is429WithRetryAfter_WhileAGoodKeyFromAnotherAddressIsServed()
    {
        await using var app = await StartAsync(time: AccountApi.Clock());
        var (_, owner) = await app.CreateAccountAsync();

        for (var i = 0; i < Limit; i++)
        {
            var wrong = await SendAsync(app, RandomKey(), "203.0.113.7");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal("invalid_api_key", await wrong.ErrorCodeAsync());
        }
        var refused = await SendAsync(app, RandomKey(), "203.0.113.7");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var error = (await refused.BodyAsync()).GetProperty("error");
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        Assert.Contains("Retry", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var retryAfter = refused.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("no Retry-After in seconds");
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(app, owner, "198.51.100.9")).StatusCode);

        // Once Retry-After has passed the address may try again, once: the budget refills slowly.
        app.Time!.Advance(retryAfter);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(app, RandomKey(), "203.0.113.7")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(app, RandomKey(), "203.0.113.7")).StatusCode);
    }

    [Fact]
    public async Task GoodKeysSentAtOnceFromABusyAddress_AreServed_EvenWhenItHasOneFailureLeft()
    {
        await using var app = await StartAsync(time: AccountApi.Clock());
        var (account, _) = await app.CreateAccountAsync();
        var keys = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            keys.Add((await app.CreateKeyAsync(account.Id, "developer")).Secret);
        }
        for (var i = 0; i < Limit - 1; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(app, RandomKey(), "192.0.2.1")).StatusCode);
        }

        // Thirty clients behind the same address, each with its own key this instance has not seen yet.
        var responses = await Task.WhenAll(keys.Select(k => SendAsync(app, k, "192.0.2.1")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(app, RandomKey(), "192.0.2.1")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(app, RandomKey(), "192.0.2.1")).StatusCode);
    }

    [Fact]
    public async Task AddressesOfOneIPv6Network_ShareOneBudget()
    {
        await using var app = await StartAsync(time: AccountApi.Clock());

        for (var i = 1; i <= Limit; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(app, RandomKey(), $"2001:db8:7:7::{i:x}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(app, RandomKey(), "2001:db8:7:7:abcd::1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(app, RandomKey(), "2001:db8:7:8::1")).StatusCode);
    }

    [Fact]
    public async Task AnUnknownKey_IsLookedUpOnce_AndAFloodOfDistinctOnes_OnlyUntilTheAddressIsThrottled()
    {
        await using var proxy = await FlakyStorageProxy.StartAsync();
        proxy.LoseEveryNthBatch = int.MaxValue;
        await using var app = await StartAsync(new() { ["Sluice:Storage:TableServiceUri"] = proxy.TableServiceUri.ToString() }, AccountApi.Clock());
        static bool IsKeyLookup(string request) => request.StartsWith("GET ", StringComparison.Ordinal) && request.Contains("keys(PartitionKey='h|", StringComparison.Ordinal);

        // One unknown key, tried 30 times from 30 addresses (so no address is throttled).
        var unknown = RandomKey();
        for (var i = 1; i <= 30; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(app, unknown, $"198.51.100.{i}")).StatusCode);
        }
        Assert.Single(proxy.Targets, r => IsKeyLookup(r) && r.Contains(GatewayKey.Hash(unknown), StringComparison.Ordinal));

        // Fifty random keys from one address, all at once: no more lookups than the address's budget of failures.
        var before = proxy.Targets.Count(IsKeyLookup);
        var flood = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => SendAsync(app, RandomKey(), "203.0.113.8")));
        Assert.InRange(proxy.Targets.Count(IsKeyLookup) - before, 1, Limit);
        Assert.Equal(Limit, flood.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        Assert.All(flood.Where(r => r.StatusCode != HttpStatusCode.Unauthorized), r => Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode));
    }

    [Fact]
    public async Task ABurstOfWrongKeys_LeavesABoundedNumberOfLogLines()
    {
        await using var app = await StartAsync(time: AccountApi.Clock());
        var before = SluiceLines(app).Count;

        for (var i = 0; i < 50; i++)
        {
            await SendAsync(app, RandomKey(), "203.0.113.7");
        }

        var lines = SluiceLines(app).Skip(before).ToList();
        Assert.InRange(lines.Count, 1, 2);
        Assert.Contains(lines, l => l.Contains("203.0.113.7", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WrongOperatorSecrets_AreLoggedWithoutTheSecret_AndThrottled()
    {
        await using var app = await StartAsync(time: AccountApi.Clock());
        const string Wrong = "not-the-operator-secret-5f1c";
        var before = SluiceLines(app).Count;

        for (var i = 0; i < Limit; i++)
        {
            var wrong = await SendAsync(app, Wrong, "203.0.113.9", "operator/accounts");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal("invalid_operator_secret", await wrong.ErrorCodeAsync());
        }
        var refused = await SendAsync(app, Wrong, "203.0.113.9", "operator/accounts");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(app, SluiceApplication.OperatorSecret, "198.51.100.9", "operator/accounts")).StatusCode);
        var lines = SluiceLines(app).Skip(before).ToList();
        Assert.InRange(lines.Count, 1, 2);
        Assert.Contains(lines, l => l.Contains("operator", StringComparison.OrdinalIgnoreCase) && l.Contains("203.0.113.9", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(Wrong, StringComparison.Ordinal));
    }

    private static Task<SluiceApplication> StartAsync(Dictionary<string, string?>? settings = null, FakeTimeProvider? time = null)
    {
        settings ??= [];
        settings["Sluice:Proxy:TrustForwardedFor"] = "true";
        settings["Sluice:Accounts:FailedAuthLimit"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Sluice:Accounts:FailedAuthWindow"] = "00:01:00";
        return SluiceApplication.StartAsync(settings, time);
    }

    private static async Task<HttpResponseMessage> SendAsync(SluiceApplication app, string key, string from, string path = "v1/models")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", key);
        request.Headers.Add("X-Forwarded-For", from);
        return await app.CreateHttpClient().SendAsync(request);
    }

    /// <summary>A well-formed key of this stamp's region that no account has.</summary>
    private static string RandomKey() =>
        "sk-sluice-us-" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The app's own log lines (not the framework's), at Information and above.</summary>
    private static List<string> SluiceLines(SluiceApplication app) =>
        [.. app.Logs.Lines.Where(l => l.Split(' ', 3) is [var level, var category, _] && level is not ("Trace" or "Debug") && category.StartsWith("Sluice", StringComparison.Ordinal))];
}
