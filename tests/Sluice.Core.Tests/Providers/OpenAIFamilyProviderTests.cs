using System.Text.Json;
using Microsoft.Extensions.Options;
using Sluice.Providers;
using Sluice.Stamp;
using Sluice.Testing.Upstreams;
using static Sluice.Core.Tests.Providers.ProviderHarness;

namespace Sluice.Core.Tests.Providers;

/// <summary>The three providers whose upstream speaks OpenAI's format: what each sends, where, with which
/// credential, and that the answer comes back untouched.</summary>
public sealed class OpenAIFamilyProviderTests : IAsyncLifetime
{
    private const string Body = """
        {"model":"public-model","messages":[{"role":"user","content":"hi"}],"store":true,"temperature":0.2,
         "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"seed":7}
        """;

    private FakeOpenAIUpstream _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeOpenAIUpstream.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task OpenAI_RewritesTheModel_DropsStore_KeepsEveryOtherField_AndSendsTheBearerKey()
    {
        using var request = Request(Body);

        await using var response = await new OpenAIProvider(HttpClients).SendAsync(request, Route(new OpenAIProvider(HttpClients), _fake.BaseUrl), default);

        var sent = Assert.Single(_fake.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("Bearer sk-upstream", sent.Headers["authorization"]);
        Assert.Equal("upstream-model", sent.Json.GetProperty("model").GetString());
        Assert.False(sent.Json.TryGetProperty("store", out _));
        Assert.False(sent.Json.TryGetProperty("stream_options", out _));
        Assert.Equal(0.2, sent.Json.GetProperty("temperature").GetDouble());
        Assert.Equal(7, sent.Json.GetProperty("seed").GetInt32());
        Assert.Equal("f", sent.Json.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        var answer = await ReadJsonAsync(response);
        Assert.Equal("chat.completion", answer.GetProperty("object").GetString());
        Assert.Equal(FakeOpenAIUpstream.Content(5), answer.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task OpenAI_Streams_AskForUsage_KeepingTheClientsOtherStreamOptions()
    {
        using var request = Request("""{"model":"m","stream":true,"stream_options":{"include_usage":false,"x_extra":1},"messages":[{"role":"user","content":"hi"}]}""");
        _fake.Behavior = new FakeBehavior { Chunks = 3 };
        var provider = new OpenAIProvider(HttpClients);

        await using var response = await provider.SendAsync(request, Route(provider, _fake.BaseUrl), default);

        var options = Assert.Single(_fake.Requests).Json.GetProperty("stream_options");
        Assert.True(options.GetProperty("include_usage").GetBoolean());
        Assert.Equal(1, options.GetProperty("x_extra").GetInt32());
        var (events, completed) = await ReadEventsAsync(response);
        Assert.True(completed);
        Assert.Equal(FakeOpenAIUpstream.Content(3), ContentOf(events));
        Assert.Equal(3, events[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Theory]
    [InlineData("sk-compat", "Bearer sk-compat")]
    [InlineData(null, null)]
    public async Task OpenAICompatible_UsesTheRoutesBaseUrl_AndTheKeyOnlyWhenThereIsOne(string? key, string? authorization)
    {
        using var request = Request(Body);
        var provider = new OpenAICompatibleProvider(HttpClients);

        await using var response = await provider.SendAsync(request, Route(provider, _fake.BaseUrl, "mistral-large-latest", key), default);

        var sent = Assert.Single(_fake.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal(authorization, sent.Headers.GetValueOrDefault("authorization"));
        Assert.Equal("mistral-large-latest", sent.Json.GetProperty("model").GetString());
        Assert.False(sent.Json.TryGetProperty("store", out _));
        Assert.Equal(200, response.StatusCode);
    }

    [Fact]
    public void OpenAICompatible_RefusesARouteWithoutBaseUrl()
    {
        var provider = new OpenAICompatibleProvider(HttpClients);
        var error = Assert.Throws<InvalidOperationException>(() => provider.Validate(Route(provider, baseUrl: null)));
        Assert.Contains("BaseUrl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AzureOpenAI_CallsTheDeploymentUrl_WithApiVersion_AndApiKeyHeader_AndNoModelInTheBody()
    {
        using var request = Request(Body);
        var provider = new AzureOpenAIProvider(HttpClients, Options.Create(new StampOptions()));
        var route = Route(provider, _fake.Root, "gpt4o-prod", "azure-key", apiVersion: "2024-10-21");
        provider.Validate(route);

        await using var response = await provider.SendAsync(request, route, default);

        var sent = Assert.Single(_fake.Requests);
        Assert.Equal("/openai/deployments/gpt4o-prod/chat/completions", sent.Path);
        Assert.Equal("?api-version=2024-10-21", sent.Query);
        Assert.Equal("azure-key", sent.Headers["api-key"]);
        Assert.False(sent.Headers.ContainsKey("authorization"));
        Assert.False(sent.Json.TryGetProperty("model", out _));
        Assert.False(sent.Json.TryGetProperty("store", out _));
        Assert.Equal(FakeOpenAIUpstream.Content(5),
            (await ReadJsonAsync(response)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public void AzureOpenAI_RefusesARouteWithoutApiVersion()
    {
        var provider = new AzureOpenAIProvider(HttpClients, Options.Create(new StampOptions()));
        var error = Assert.Throws<InvalidOperationException>(() => provider.Validate(Route(provider, _fake.Root)));
        Assert.Contains("ApiVersion", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUpstreamError_ComesBackAsAnOpenAIError_WithItsStatus_NotAnException()
    {
        _fake.Behavior = new FakeBehavior { Status = 400 };
        using var request = Request(Body);
        var provider = new OpenAIProvider(HttpClients);

        await using var response = await provider.SendAsync(request, Route(provider, _fake.BaseUrl), default);

        Assert.Equal(400, response.StatusCode);
        Assert.False(response.Error!.IsRetryable);
        Assert.Equal("fake_error", response.Error.Code);
        Assert.Equal("Fake upstream error 400.", ErrorOf(response).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A503_IsRetriedOnTheSameRoute_ThenReturned()
    {
        _fake.Behavior = new FakeBehavior { Status = 503 };
        using var request = Request(Body);
        var provider = new OpenAIProvider(HttpClients);

        await using var response = await provider.SendAsync(request, Route(provider, _fake.BaseUrl), default);

        // UpstreamOptions.RetryAttempts defaults to 2: three calls in all.
        Assert.Equal(3, _fake.Calls);
        Assert.Equal(503, response.StatusCode);
        Assert.True(response.Error!.IsRetryable);
    }
}
