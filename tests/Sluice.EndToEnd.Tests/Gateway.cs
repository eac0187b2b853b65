using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Accounts;
using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests;

/// <summary>Small conveniences over plain HTTP against the app under test.</summary>
internal static class Gateway
{
    public sealed record Answer(int Status, string Body, string? RequestId)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    }

    public static string ChatBody(string model, string prompt, bool stream = false, string extra = "") =>
        $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"{{prompt}}"}]{{extra}}}""";

    public static async Task<Answer> ChatAsync(SluiceApplication app, string key, string body, params (string Name, string Value)[] headers)
    {
        using var client = app.CreateHttpClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await client.SendAsync(request);
        return new Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(),
            response.Headers.TryGetValues("x-request-id", out var ids) ? ids.First() : null);
    }

    public static async Task<Answer> SendAsync(SluiceApplication app, string? key, HttpMethod method, string path, string? json = null)
    {
        using var client = app.CreateHttpClient(key);
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        using var response = await client.SendAsync(request);
        return new Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(), null);
    }

    public static async Task<string> CreateKeyAsync(SluiceApplication app, Account account, string role)
    {
        var lifecycle = (AccountLifecycle)app.Services.GetService(typeof(AccountLifecycle))!;
        var models = role == "restricted" ? new[] { "mock" } : null;
        var (key, error) = await lifecycle.CreateKeyAsync(account, new CreateKeyRequest(role, role, null, models), null, "test", null, CancellationToken.None);
        return key?.Key ?? throw new InvalidOperationException(error!.Message);
    }

    public static Task<Answer> SetRetentionAsync(SluiceApplication app, string key, string json) =>
        SendAsync(app, key, HttpMethod.Put, "v1/account/retention", json);

    public static MediaTypeHeaderValue Json => new("application/json");
}
