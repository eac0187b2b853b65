using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sluice.Accounts;
using Sluice.Retention;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>The account, key, audit and operator APIs as a client calls them, over the app's real socket.</summary>
internal static class AccountApi
{
    /// <summary>Day 0 of every lifecycle test: a Monday morning, so day arithmetic never crosses a month by surprise.</summary>
    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));

    public static HttpClient Operator(this SluiceApplication app) => app.CreateHttpClient(SluiceApplication.OperatorSecret);

    public static Task<HttpResponseMessage> ChatAsync(this HttpClient client, string model = "mock", string text = "Hello") =>
        client.PostAsync("v1/chat/completions", Json($$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{text}}"}]}"""));

    public static Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string path, string? json = null) =>
        client.SendAsync(new HttpRequestMessage(method, path) { Content = json is null ? null : Json(json) });

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> BodyAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>The OpenAI-style error code of a failed response.</summary>
    public static async Task<string?> ErrorCodeAsync(this HttpResponseMessage response) =>
        (await response.BodyAsync()).GetProperty("error").GetProperty("code").GetString();

    /// <summary>Mints a key of <paramref name="role"/> for the account, through the operator API.</summary>
    public static async Task<(string Id, string Secret)> CreateKeyAsync(this SluiceApplication app, string accountId, string role, params string[] models)
    {
        var body = JsonSerializer.Serialize(new { role, allowed_models = models.Length > 0 ? models : null });
        var response = await app.Operator().PostAsync($"operator/accounts/{accountId}/keys", Json(body));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var created = await response.BodyAsync();
        return (created.GetProperty("id").GetString()!, created.GetProperty("key").GetString()!);
    }

    public static async Task<JsonElement> OperatorAsync(this SluiceApplication app, string accountId, string action, string? json = null,
        System.Net.HttpStatusCode expected = System.Net.HttpStatusCode.OK)
    {
        var response = await app.Operator().PostAsync($"operator/accounts/{accountId}/{action}", json is null ? null : Json(json));
        Assert.Equal(expected, response.StatusCode);
        return await response.BodyAsync();
    }

    public static Task<JsonElement> SuspendAsync(this SluiceApplication app, string accountId, string reason = "non_payment") =>
        app.OperatorAsync(accountId, "suspend", $$"""{"reason":"{{reason}}","note":"invoice 1042 unpaid"}""");

    public static async Task<JsonElement> CloseAsync(this SluiceApplication app, string accountId, string ownerKey)
    {
        var response = await app.CreateHttpClient(ownerKey).PostAsync("v1/account/close", Json($$"""{"confirm":"{{accountId}}"}"""));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.BodyAsync();
    }

    /// <summary>Sends <paramref name="count"/> completions of the mock model and waits until their usage rows are stored.</summary>
    public static async Task SeedUsageAsync(this SluiceApplication app, string accountId, string key, int count = 3)
    {
        var existing = (await UsageRows.ForAccountAsync(app, accountId, expected: 0)).Count;
        var client = app.CreateHttpClient(key);
        for (var i = 0; i < count; i++)
        {
            var response = await client.ChatAsync(text: "seed " + i);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(existing + count, (await UsageRows.ForAccountAsync(app, accountId, existing + count)).Count);
    }

    public static Task<PurgeRunResult> PurgeAsync(this SluiceApplication app) =>
        app.Services.GetRequiredService<PurgeEngine>().RunAsync(CancellationToken.None);

    public static void AdvanceDays(this SluiceApplication app, double days) => app.Time!.Advance(TimeSpan.FromDays(days));

    /// <summary>The account's row as stored.</summary>
    public static Task<Account?> StoredAccountAsync(this SluiceApplication app, string accountId) =>
        app.Services.GetRequiredService<AccountStore>().GetAsync(accountId, CancellationToken.None);
}
