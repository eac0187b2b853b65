using System.Net;
using System.Text;
using System.Text.Json;
using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// What every endpoint of the host does the same way: OpenAI's 404 for any path or method no route serves, and an
/// <c>x-request-id</c> on every response. The Functions app runs the same handler and header piece (its catch-all
/// function and worker middleware call them), so these tests cover both hosts' code.
/// </summary>
public sealed class HttpConventionsTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpClient client,
        HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private static JsonElement ErrorOf(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error");

    [Theory]
    [InlineData("GET", "v1/nope")]
    [InlineData("POST", "v1/chat/completion")]
    [InlineData("GET", "v1/chat/completions")]
    [InlineData("DELETE", "v1/models")]
    [InlineData("PUT", "operator/accounts")]
    [InlineData("GET", "")]
    [InlineData("PATCH", "admin/host/status")]
    public async Task AnUnknownPathOrMethod_IsOpenAIsUnknownUrl404(string method, string path)
    {
        var (_, key) = await _app.CreateAccountAsync();
        using var client = _app.CreateHttpClient(key);

        var (status, body, response) = await SendAsync(client, new HttpMethod(method), path, method is "GET" or "DELETE" ? null : "{}");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = ErrorOf(body);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("unknown_url", error.GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.StartsWith($"Unknown request URL: {method} /{path}.", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheUnknownUrlMessage_EchoesOnlyAShortPrintablePrefix_AndNeverTheQuery()
    {
        using var client = _app.CreateHttpClient();

        var (status, body, _) = await SendAsync(client, HttpMethod.Get, "v1/" + new string('a', 500) + "%E2%82%AC?api-key=sk-secret-in-query");

        Assert.Equal(HttpStatusCode.NotFound, status);
        var message = ErrorOf(body).GetProperty("message").GetString()!;
        Assert.True(message.Length < 200, message);
        Assert.DoesNotContain("sk-secret", body, StringComparison.Ordinal);
        Assert.DoesNotContain("€", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOfficialClient_SurfacesAnUnknownUrl_AsA404WithItsMessage()
    {
        var (_, key) = await _app.CreateAccountAsync();
        var images = new OpenAI.Images.ImageClient("mock", new System.ClientModel.ApiKeyCredential(key),
            new OpenAI.OpenAIClientOptions { Endpoint = new Uri(_app.BaseAddress, "v1/") });

        var error = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => images.GenerateImageAsync("hi"));

        Assert.Equal(404, error.Status);
        Assert.Contains("Unknown request URL: POST /v1/images/generations", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryResponse_OfEveryKindOfEndpoint_CarriesARequestId()
    {
        var (_, key) = await _app.CreateAccountAsync();
        using var anonymous = _app.CreateHttpClient();
        using var customer = _app.CreateHttpClient(key);
        using var wrongKey = _app.CreateHttpClient("sk-not-a-key");
        using var operatorClient = _app.CreateHttpClient();
        operatorClient.DefaultRequestHeaders.Authorization = new("Bearer", SluiceApplication.OperatorSecret);

        var calls = new (HttpClient Client, HttpMethod Method, string Path, string? Json, HttpStatusCode Expected)[]
        {
            (anonymous, HttpMethod.Get, "health", null, HttpStatusCode.OK),
            (anonymous, HttpMethod.Get, "v1/unknown", null, HttpStatusCode.NotFound),
            (anonymous, HttpMethod.Get, "v1/models", null, HttpStatusCode.Unauthorized),
            (customer, HttpMethod.Get, "v1/models", null, HttpStatusCode.OK),
            (customer, HttpMethod.Get, "v1/account", null, HttpStatusCode.OK),
            (wrongKey, HttpMethod.Get, "v1/account", null, HttpStatusCode.Unauthorized),
            (customer, HttpMethod.Get, "v1/keys", null, HttpStatusCode.OK),
            (customer, HttpMethod.Get, "v1/usage", null, HttpStatusCode.OK),
            (customer, HttpMethod.Put, "v1/account/retention", "{", HttpStatusCode.BadRequest),
            (customer, HttpMethod.Get, "v1/requests/not-an-id", null, HttpStatusCode.BadRequest),
            (operatorClient, HttpMethod.Get, "operator/accounts", null, HttpStatusCode.OK),
            (anonymous, HttpMethod.Get, "operator/accounts", null, HttpStatusCode.Unauthorized),
            (wrongKey, HttpMethod.Post, "v1/chat/completions", """{"model":"mock","messages":[]}""", HttpStatusCode.Unauthorized),
        };
        foreach (var (client, method, path, json, expected) in calls)
        {
            var (status, _, response) = await SendAsync(client, method, path, json);
            Assert.True(expected == status, $"{method} {path}: {status}");
            Assert.True(response.Headers.TryGetValues("x-request-id", out var ids), $"{method} {path} has no x-request-id");
            Assert.True(RequestId.TryParse(Assert.Single(ids), out _), $"{method} {path}: {ids.Single()}");
        }
    }

    [Fact]
    public async Task AChatCompletionsRequestId_IsItsUsageRowsId_NotASecondOne()
    {
        var (account, key) = await _app.CreateAccountAsync();

        var answer = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "hello"));

        Assert.Equal(200, answer.Status);
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal(row.GetString("RequestId"), answer.RequestId);
    }
}
