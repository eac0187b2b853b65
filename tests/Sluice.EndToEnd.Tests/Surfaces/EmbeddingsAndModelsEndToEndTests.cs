using System.ClientModel;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;
using OpenAI.Models;
using Sluice.Testing;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Surfaces;

/// <summary>The official OpenAI .NET client's EmbeddingClient and OpenAIModelClient, unchanged, against the gateway:
/// embeddings passed through to an OpenAI route and answered by the built-in mock, and one model retrieved.</summary>
public sealed class EmbeddingsAndModelsEndToEndTests : IAsyncLifetime
{
    private FakeOpenAIUpstream _openai = null!;
    private FakeAnthropicUpstream _anthropic = null!;
    private SluiceApplication _app = null!;

    public async Task InitializeAsync()
    {
        _openai = await FakeOpenAIUpstream.StartAsync();
        _anthropic = await FakeAnthropicUpstream.StartAsync();
        _app = await SluiceApplication.StartAsync(new RouteSettings()
            .Add("embed-test", "openai", _openai.BaseUrl, upstreamModel: "text-embedding-3-small", input: 0.02m, output: 0m)
            .Add("claude-test", "anthropic", _anthropic.BaseUrl)
            .Add("embed-kept", "openai", _openai.BaseUrl, retention: "abuse-monitoring", retentionDays: 30));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _openai.DisposeAsync();
        await _anthropic.DisposeAsync();
    }

    private OpenAIClientOptions Options => new() { Endpoint = new Uri(_app.BaseAddress, "v1/") };

    [Fact]
    public async Task OfficialEmbeddingClient_GetsTheRoutesVectors_WithDimensions_AndTheRowCountsInputTokens()
    {
        var (account, key) = await _app.CreateAccountAsync();
        var client = new EmbeddingClient("embed-test", new ApiKeyCredential(key), Options);

        var embeddings = (await client.GenerateEmbeddingsAsync(["first", "second"], new EmbeddingGenerationOptions { Dimensions = 4 })).Value;

        Assert.Equal(2, embeddings.Count);
        Assert.Equal(FakeOpenAIUpstream.Embedding(0, 4), embeddings[0].ToFloats().ToArray());
        Assert.Equal(FakeOpenAIUpstream.Embedding(1, 4), embeddings[1].ToFloats().ToArray());
        Assert.Equal(2, embeddings.Usage.InputTokenCount);
        var sent = Assert.Single(_openai.Requests);
        Assert.Equal("/v1/embeddings", sent.Path);
        Assert.Equal("text-embedding-3-small", sent.Json.GetProperty("model").GetString());
        Assert.Equal(4, sent.Json.GetProperty("dimensions").GetInt32());
        // The client asks for base64 and decodes it: that is the path it takes.
        Assert.Equal("base64", sent.Json.GetProperty("encoding_format").GetString());
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal("embeddings", row.GetString("Endpoint"));
        Assert.Equal(2, row.GetInt32("PromptTokens"));
        Assert.Equal(0, row.GetInt32("CompletionTokens"));
        Assert.False(row.GetBoolean("UsageEstimated"));
    }

    [Fact]
    public async Task FloatEncoding_AndTokenArrays_PassThroughAsSent()
    {
        var (_, key) = await _app.CreateAccountAsync();
        var client = new EmbeddingClient("embed-test", new ApiKeyCredential(key), Options);

        var result = await client.GenerateEmbeddingsAsync(BinaryContent.Create(BinaryData.FromString(
            """{"model":"embed-test","input":[[1,2,3],[4,5]],"encoding_format":"float","store":false}""")));
        using var json = JsonDocument.Parse(result.GetRawResponse().Content);
        var tokens = await new EmbeddingClient("embed-test", new ApiKeyCredential(key), Options)
            .GenerateEmbeddingsAsync([new ReadOnlyMemory<int>([7, 8, 9])]);

        var data = json.RootElement.GetProperty("data");
        Assert.Equal(FakeOpenAIUpstream.Embedding(1, 3), data[1].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        Assert.Equal(5, json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var sent = _openai.Requests.First().Json;
        Assert.Equal("float", sent.GetProperty("encoding_format").GetString());
        Assert.False(sent.TryGetProperty("store", out _));
        Assert.Equal(3, tokens.Value.Usage.InputTokenCount);
    }

    [Fact]
    public async Task MockModel_EmbedsDeterministically_WithoutAnyProvider()
    {
        var (account, key) = await _app.CreateAccountAsync();
        var client = new EmbeddingClient("mock", new ApiKeyCredential(key), Options);

        var first = (await client.GenerateEmbeddingsAsync(["the same text", "another"], new EmbeddingGenerationOptions { Dimensions = 8 })).Value;
        var again = (await client.GenerateEmbeddingAsync("the same text", new EmbeddingGenerationOptions { Dimensions = 8 })).Value.ToFloats().ToArray();
        var full = (await client.GenerateEmbeddingAsync("the same text")).Value.ToFloats();

        Assert.Equal(8, first[0].ToFloats().Length);
        Assert.Equal(first[0].ToFloats().ToArray(), again);
        Assert.NotEqual(first[0].ToFloats().ToArray(), first[1].ToFloats().ToArray());
        Assert.Equal(1.0, Math.Sqrt(again.Sum(v => (double)v * v)), 3);
        Assert.Equal(1536, full.Length);
        Assert.True(first.Usage.InputTokenCount >= 4);
        Assert.All(await UsageRows.ForAccountAsync(_app, account.Id, 3), row => Assert.Equal("embeddings", row.GetString("Endpoint")));
    }

    [Fact]
    public async Task ARouteWithoutEmbeddings_BadInput_AndAForbiddenRoute_AreOpenAIErrors_AndNoUpstreamIsCalled()
    {
        var (_, key) = await _app.CreateAccountAsync();

        var anthropic = await SendAsync(key, """{"model":"claude-test","input":"hi"}""");
        var empty = await SendAsync(key, """{"model":"embed-test","input":[]}""");
        var format = await SendAsync(key, """{"model":"embed-test","input":"hi","encoding_format":"int8"}""");
        var forbidden = await SendAsync(key, """{"model":"embed-kept","input":"hi"}""", ("x-sluice-data-policy", "zero-retention"));

        Assert.Equal((400, "invalid_request_error"), Shape(anthropic));
        Assert.Equal((400, "input"), (empty.Status, empty.Json.GetProperty("error").GetProperty("param").GetString()));
        Assert.Equal((400, "encoding_format"), (format.Status, format.Json.GetProperty("error").GetProperty("param").GetString()));
        Assert.Equal((403, "permission_error"), Shape(forbidden));
        Assert.Equal(0, _anthropic.Calls);
        Assert.Equal(0, _openai.Calls);

        static (int, string?) Shape(Gateway.Answer answer) => (answer.Status, answer.Json.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task OfficialModelClient_RetrievesAModel_FilteredByPolicyAndRoleLikeTheList()
    {
        var (account, key) = await _app.CreateAccountAsync();
        var restricted = await Gateway.CreateKeyAsync(_app, account, "restricted");

        var model = (await new OpenAIModelClient(new ApiKeyCredential(key), Options).GetModelAsync("embed-test")).Value;
        var notAllowed = await Assert.ThrowsAsync<ClientResultException>(() => new OpenAIModelClient(new ApiKeyCredential(restricted), Options).GetModelAsync("embed-test"));
        var mock = (await new OpenAIModelClient(new ApiKeyCredential(restricted), Options).GetModelAsync("mock")).Value;
        var unknown = await Assert.ThrowsAsync<ClientResultException>(() => new OpenAIModelClient(new ApiKeyCredential(key), Options).GetModelAsync("nope"));

        Assert.Equal("embed-test", model.Id);
        Assert.Equal("mock", mock.Id);
        Assert.Equal(404, notAllowed.Status);
        Assert.Equal(404, unknown.Status);
        using var client = _app.CreateHttpClient(key);
        client.DefaultRequestHeaders.Add("x-sluice-data-policy", "zero-retention");
        using var kept = await client.GetAsync("v1/models/embed-kept");
        Assert.Equal(404, (int)kept.StatusCode);
        var error = JsonDocument.Parse(await kept.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }

    private async Task<Gateway.Answer> SendAsync(string key, string body, params (string Name, string Value)[] headers)
    {
        using var client = _app.CreateHttpClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/embeddings") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await client.SendAsync(request);
        return new Gateway.Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(), null);
    }
}
