using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sluice.EndToEnd.Tests.Accounts;
using Sluice.FairUse;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.FairUse;

/// <summary>Shared steps of the fair-use tests: hosts with a priced mock model, limits set through the API.</summary>
internal static class FairUseApi
{
    /// <summary>A mock model at $100 per million tokens either way: one answer (about 40 tokens) costs about $0.004.</summary>
    public const string PricedModel = "priced";

    public static RouteSettings Settings() => new RouteSettings().Add(PricedModel, "mock", input: 100m, output: 100m);

    public static Task<SluiceApplication> StartAsync(FakeTimeProvider clock, IDictionary<string, string?>? extra = null)
    {
        var settings = Settings();
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        return SluiceApplication.StartAsync(settings, clock);
    }

    /// <summary>A second host on the first one's tables and containers: another instance of the same stamp.</summary>
    public static Task<SluiceApplication> StartSecondInstanceAsync(SluiceApplication first, FakeTimeProvider clock)
    {
        var settings = Settings();
        settings["Sluice:Storage:TablePrefix"] = first.Name;
        settings["Sluice:Storage:PayloadContainer"] = first.Name + "-payloads";
        settings["Sluice:Storage:LockContainer"] = first.Name + "-locks";
        return SluiceApplication.StartAsync(settings, clock);
    }

    public static async Task<HttpResponseMessage> PutLimitsAsync(this SluiceApplication app, string adminKey, string? keyId, string json)
    {
        var path = keyId is null ? "v1/account/limits" : $"v1/keys/{keyId}/limits";
        return await app.CreateHttpClient(adminKey).SendAsync(HttpMethod.Put, path, json);
    }

    public static async Task SetLimitsAsync(this SluiceApplication app, string adminKey, string? keyId, string json)
    {
        var response = await app.PutLimitsAsync(adminKey, keyId, json);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    public static Task<HttpResponseMessage> ChatAsync(this SluiceApplication app, string key, string text = "Hello") =>
        app.CreateHttpClient(key).ChatAsync(PricedModel, text);

    public static FairUseGate Gate(this SluiceApplication app) => app.Services.GetRequiredService<FairUseGate>();

    public static async Task<List<JsonElement>> AuditAsync(this SluiceApplication app, string adminKey, string action)
    {
        var response = await app.CreateHttpClient(adminKey).GetAsync("v1/audit");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.BodyAsync()).GetProperty("data").EnumerateArray().Where(e => e.GetProperty("action").GetString() == action)];
    }
}
