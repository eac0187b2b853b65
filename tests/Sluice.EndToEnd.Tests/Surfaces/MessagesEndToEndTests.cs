using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Sluice.Testing;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Surfaces;

/// <summary>
/// The official Anthropic .NET SDK, unchanged, against the gateway's <c>/v1/messages</c>: passed through to an Anthropic
/// route (<c>claude-test</c>) and translated to an OpenAI-compatible route (<c>oai-test</c>), streamed and not, with tool
/// use and token counts; the usage rows read back from Azurite.
/// </summary>
public sealed class MessagesEndToEndTests : IAsyncLifetime
{
    private FakeAnthropicUpstream _anthropic = null!;
    private FakeOpenAIUpstream _openai = null!;
    private SluiceApplication _app = null!;

    public async Task InitializeAsync()
    {
        _anthropic = await FakeAnthropicUpstream.StartAsync();
        _openai = await FakeOpenAIUpstream.StartAsync();
        _app = await SluiceApplication.StartAsync(new RouteSettings()
            .Add("claude-test", "anthropic", new Uri(_anthropic.Root, "v1/"), upstreamModel: "claude-upstream", input: 3m, output: 15m)
            .Add("oai-test", "openai-compatible", _openai.BaseUrl, upstreamModel: "oai-upstream", input: 2.5m, output: 10m)
            .Add("claude-kept", "anthropic", new Uri(_anthropic.Root, "v1/"), retention: "abuse-monitoring", retentionDays: 30));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _anthropic.DisposeAsync();
        await _openai.DisposeAsync();
    }

    private AnthropicClient Client(string key) => new(new ClientOptions
    {
        ApiKey = key,
        BaseUrl = _app.BaseAddress.ToString().TrimEnd('/'),
        MaxRetries = 0,
    });

    private static MessageCreateParams Params(string model) => new()
    {
        MaxTokens = 256,
        Model = model,
        Messages = [new UserMessageParam("What is the weather in Paris?")],
    };

    [Fact]
    public async Task PassThrough_OfficialSdk_GetsTheAnthropicAnswer_AndTheRowCarriesCacheTokensAndTheEndpoint()
    {
        _anthropic.Behavior = new FakeBehavior { Chunks = 3, PromptTokens = 11, CacheReadTokens = 4, CacheCreationTokens = 2, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };
        var (account, key) = await _app.CreateAccountAsync();

        var message = await Client(key).Messages.Create(Params("claude-test"));

        Assert.Equal(FakeAnthropicUpstream.MessageId, message.ID);
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("w0 w1 w2 ", text!.Text);
        Assert.True(message.Content[1].TryPickToolUse(out var tool));
        Assert.Equal("get_weather", tool!.Name);
        Assert.Equal("Paris", tool.Input["city"].GetString());
        Assert.Equal(StopReason.ToolUse, message.StopReason!.Value());
        Assert.Equal(4, message.Usage.CacheReadInputTokens);

        var sent = Assert.Single(_anthropic.Requests);
        Assert.Equal("/v1/messages", sent.Path);
        Assert.Equal("claude-upstream", sent.Json.GetProperty("model").GetString());
        Assert.Equal("sk-upstream-test", sent.Headers["x-api-key"]);
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal("messages", row.GetString("Endpoint"));
        Assert.Equal(11 + 4 + 2, row.GetInt32("PromptTokens"));
        Assert.Equal(4, row.GetInt32("CachedTokens"));
        Assert.Equal(2, row.GetInt32("CacheCreationTokens"));
        Assert.Equal(3, row.GetInt32("CompletionTokens"));
        Assert.False(row.GetBoolean("UsageEstimated"));
        Assert.Equal("anthropic", row.GetString("Provider"));
    }

    [Fact]
    public async Task PassThrough_KeepsProviderFieldsTheGatewayDoesNotModel_DropsStore_AndForwardsTheBetaHeader()
    {
        _anthropic.Behavior = new FakeBehavior { Chunks = 2 };
        var (_, key) = await _app.CreateAccountAsync();
        const string body = """
            {"model":"claude-test","max_tokens":64,"store":false,"thinking":{"type":"enabled","budget_tokens":1024},
             "system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":[{"type":"text","text":"Hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}]}
            """;

        var answer = await SendAsync(key, "v1/messages", body, ("anthropic-beta", "extended-cache-ttl-2025-04-11"), ("anthropic-version", "2023-06-01"));

        Assert.Equal(200, answer.Status);
        var sent = Assert.Single(_anthropic.Requests).Json;
        Assert.False(sent.TryGetProperty("store", out _));
        Assert.Equal(1024, sent.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());
        Assert.Equal("ephemeral", sent.GetProperty("system")[0].GetProperty("cache_control").GetProperty("type").GetString());
        Assert.Equal("1h", sent.GetProperty("messages")[0].GetProperty("content")[0].GetProperty("cache_control").GetProperty("ttl").GetString());
        Assert.Equal("extended-cache-ttl-2025-04-11", _anthropic.Requests.Single().Headers["anthropic-beta"]);
    }

    [Fact]
    public async Task PassThrough_OfficialSdkStream_ReceivesEveryEvent_AndTheRowCarriesTheStreamsUsage()
    {
        _anthropic.Behavior = new FakeBehavior { Chunks = 4, PromptTokens = 9, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };
        var (account, key) = await _app.CreateAccountAsync();

        var (text, toolName, toolInput, stop, stopped) = await StreamAsync(Client(key), Params("claude-test"));

        Assert.Equal("w0 w1 w2 w3 ", text);
        Assert.Equal("get_weather", toolName);
        Assert.Equal("""{"city":"Paris"}""", toolInput);
        Assert.Equal(StopReason.ToolUse, stop);
        Assert.True(stopped);
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal("messages", row.GetString("Endpoint"));
        Assert.True(row.GetBoolean("Streamed"));
        Assert.Equal(9, row.GetInt32("PromptTokens"));
        Assert.Equal(4, row.GetInt32("CompletionTokens"));
        Assert.Equal(200, row.GetInt32("Status"));
    }

    [Fact]
    public async Task Translated_OfficialSdk_GetsTextAndToolUse_FromAnOpenAICompatibleRoute()
    {
        _openai.Behavior = new FakeBehavior { Chunks = 3, PromptTokens = 13, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };
        var (account, key) = await _app.CreateAccountAsync();

        var message = await Client(key).Messages.Create(Params("oai-test"));

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("w0 w1 w2 ", text!.Text);
        Assert.True(message.Content[1].TryPickToolUse(out var tool));
        Assert.Equal(FakeOpenAIUpstream.ToolCallId, tool!.ID);
        Assert.Equal("Paris", tool.Input["city"].GetString());
        Assert.Equal(StopReason.ToolUse, message.StopReason!.Value());
        Assert.Equal(13, message.Usage.InputTokens);
        Assert.Equal(3, message.Usage.OutputTokens);

        var sent = Assert.Single(_openai.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("oai-upstream", sent.Json.GetProperty("model").GetString());
        Assert.Equal(256, sent.Json.GetProperty("max_tokens").GetInt32());
        Assert.Equal("user", sent.Json.GetProperty("messages")[0].GetProperty("role").GetString());
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal("messages", row.GetString("Endpoint"));
        Assert.Equal("openai-compatible", row.GetString("Provider"));
        Assert.Equal(13, row.GetInt32("PromptTokens"));
        Assert.Equal(3, row.GetInt32("CompletionTokens"));
    }

    [Fact]
    public async Task Translated_OfficialSdkStream_ReceivesAnthropicEvents_WithTheToolCall()
    {
        _openai.Behavior = new FakeBehavior { Chunks = 4, PromptTokens = 9, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };
        var (account, key) = await _app.CreateAccountAsync();

        var (text, toolName, toolInput, stop, stopped) = await StreamAsync(Client(key), Params("oai-test"));

        Assert.Equal("w0 w1 w2 w3 ", text);
        Assert.Equal("get_weather", toolName);
        Assert.Equal("""{"city":"Paris"}""", toolInput);
        Assert.Equal(StopReason.ToolUse, stop);
        Assert.True(stopped);
        Assert.True(Assert.Single(_openai.Requests).Json.GetProperty("stream").GetBoolean());
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.True(row.GetBoolean("Streamed"));
        Assert.Equal(9, row.GetInt32("PromptTokens"));
        Assert.Equal(4, row.GetInt32("CompletionTokens"));
        Assert.False(row.GetBoolean("UsageEstimated"));
    }

    [Fact]
    public async Task Translated_ToolConversation_ReachesTheRouteAsChatCompletionsToolCallsAndToolMessages()
    {
        _openai.Behavior = new FakeBehavior { Chunks = 2 };
        var (_, key) = await _app.CreateAccountAsync();
        const string body = """
            {"model":"oai-test","max_tokens":100,"system":"Use tools.",
             "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
             "tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true},
             "messages":[
               {"role":"user","content":"Weather in Paris?"},
               {"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C"},{"type":"text","text":"And tomorrow?"}]}]}
            """;

        var answer = await SendAsync(key, "v1/messages", body);

        Assert.Equal(200, answer.Status);
        Assert.Equal("message", answer.Json.GetProperty("type").GetString());
        var sent = Assert.Single(_openai.Requests).Json;
        var messages = sent.GetProperty("messages");
        Assert.Equal(["system", "user", "assistant", "tool", "user"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        var call = messages[2].GetProperty("tool_calls")[0];
        Assert.Equal("toolu_1", call.GetProperty("id").GetString());
        Assert.Equal("Paris", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement.GetProperty("city").GetString());
        Assert.Equal("toolu_1", messages[3].GetProperty("tool_call_id").GetString());
        Assert.Equal("18C", messages[3].GetProperty("content").GetString());
        Assert.Equal("get_weather", sent.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("get_weather", sent.GetProperty("tool_choice").GetProperty("function").GetProperty("name").GetString());
        Assert.False(sent.GetProperty("parallel_tool_calls").GetBoolean());
    }

    [Fact]
    public async Task Translated_WhatChatCompletionsCannotExpress_Is400InAnthropicsShape_BeforeAnyUpstreamCall()
    {
        var (account, key) = await _app.CreateAccountAsync();
        foreach (var body in (string[])[
            """{"model":"oai-test","max_tokens":64,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"Hi"}]}""",
            """{"model":"oai-test","max_tokens":64,"top_k":5,"messages":[{"role":"user","content":"Hi"}]}""",
            """{"model":"oai-test","max_tokens":64,"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[{"role":"user","content":"Hi"}]}""",
        ])
        {
            var answer = await SendAsync(key, "v1/messages", body);

            Assert.Equal(400, answer.Status);
            Assert.Equal("error", answer.Json.GetProperty("type").GetString());
            Assert.Equal("invalid_request_error", answer.Json.GetProperty("error").GetProperty("type").GetString());
        }
        Assert.Equal(0, _openai.Calls);
        Assert.All(await UsageRows.ForAccountAsync(_app, account.Id, 3), row => Assert.Equal(400, row.GetInt32("Status")));
    }

    [Fact]
    public async Task CountTokens_OfficialSdk_IsTheAnthropicRoutesCount_OrTheGatewaysEstimate()
    {
        _anthropic.Behavior = new FakeBehavior { PromptTokens = 42 };
        var (account, key) = await _app.CreateAccountAsync();
        var client = Client(key);

        var passed = await client.Messages.CountTokens(new MessageCountTokensParams
        {
            Model = "claude-test",
            Messages = [new UserMessageParam("What is the weather in Paris?")],
        });
        var estimated = await client.Messages.CountTokens(new MessageCountTokensParams
        {
            Model = "oai-test",
            Messages = [new UserMessageParam("What is the weather in Paris?")],
        });

        Assert.Equal(42, passed.InputTokens);
        var counted = Assert.Single(_anthropic.Requests);
        Assert.Equal("/v1/messages/count_tokens", counted.Path);
        Assert.Equal("claude-upstream", counted.Json.GetProperty("model").GetString());
        // The estimator: the prompt's seven words and the chat framing, and no call to the OpenAI-compatible route.
        Assert.InRange(estimated.InputTokens, 8, 20);
        Assert.Equal(0, _openai.Calls);
        var rows = await UsageRows.ForAccountAsync(_app, account.Id, 2);
        Assert.All(rows, row =>
        {
            Assert.Equal("messages.count_tokens", row.GetString("Endpoint"));
            Assert.Equal(0, row.GetInt32("PromptTokens"));
            Assert.Equal(0, row.GetInt64("CostNanoUsd"));
        });
    }

    [Fact]
    public async Task Keys_AuthenticateAsXApiKeyOrBearer_AndAWrongKeyIs401InAnthropicsShape()
    {
        _anthropic.Behavior = new FakeBehavior { Chunks = 1 };
        var (_, key) = await _app.CreateAccountAsync();
        const string body = """{"model":"claude-test","max_tokens":16,"messages":[{"role":"user","content":"Hi"}]}""";

        Assert.Equal(200, (await SendAsync(null, "v1/messages", body, ("x-api-key", key))).Status);
        Assert.Equal(200, (await SendAsync(key, "v1/messages", body)).Status);
        var wrong = await SendAsync(null, "v1/messages", body, ("x-api-key", "sk-sluice-us-wrong"));
        var none = await SendAsync(null, "v1/messages", body);

        foreach (var answer in (Gateway.Answer[])[wrong, none])
        {
            Assert.Equal(401, answer.Status);
            Assert.Equal("error", answer.Json.GetProperty("type").GetString());
            Assert.Equal("authentication_error", answer.Json.GetProperty("error").GetProperty("type").GetString());
        }
        var sdkError = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => Client("sk-sluice-us-wrong").Messages.Create(Params("claude-test")));
        Assert.Contains("Incorrect API key", sdkError.Message, StringComparison.Ordinal);
        Assert.Equal(2, _anthropic.Calls);
    }

    [Fact]
    public async Task BadRequests_AndForbiddenRoutes_AreAnsweredInAnthropicsShape_AndTheForbiddenUpstreamIsNeverCalled()
    {
        var (_, key) = await _app.CreateAccountAsync();

        var noMaxTokens = await SendAsync(key, "v1/messages", """{"model":"claude-test","messages":[{"role":"user","content":"Hi"}]}""");
        var badRole = await SendAsync(key, "v1/messages", """{"model":"claude-test","max_tokens":5,"messages":[{"role":"system","content":"Hi"}]}""");
        var unknown = await SendAsync(key, "v1/messages", """{"model":"nope","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}""");
        var forbidden = await SendAsync(key, "v1/messages", """{"model":"claude-kept","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}""",
            ("x-sluice-data-policy", "zero-retention"));

        Assert.Equal((400, "invalid_request_error"), Shape(noMaxTokens));
        Assert.Contains("max_tokens", noMaxTokens.Json.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal((400, "invalid_request_error"), Shape(badRole));
        Assert.Equal((404, "not_found_error"), Shape(unknown));
        Assert.Equal((403, "permission_error"), Shape(forbidden));
        Assert.Equal(0, _anthropic.Calls);

        static (int, string?) Shape(Gateway.Answer answer)
        {
            Assert.Equal("error", answer.Json.GetProperty("type").GetString());
            return (answer.Status, answer.Json.GetProperty("error").GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task UpstreamErrors_ReachTheClientInAnthropicsShape_KeepingAnAnthropicRoutesErrorType()
    {
        var (_, key) = await _app.CreateAccountAsync();
        _anthropic.Behavior = new FakeBehavior { Status = 529, ErrorBody = FakeAnthropicUpstream.Error("overloaded_error", "Overloaded") };
        _openai.Behavior = new FakeBehavior { Status = 400, ErrorBody = """{"error":{"message":"Bad tool schema.","type":"invalid_request_error","param":null,"code":null}}""" };

        var anthropic = await SendAsync(key, "v1/messages", """{"model":"claude-test","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}""");
        var openai = await SendAsync(key, "v1/messages", """{"model":"oai-test","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(529, anthropic.Status);
        Assert.Equal("overloaded_error", anthropic.Json.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("Overloaded", anthropic.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(400, openai.Status);
        Assert.Equal("invalid_request_error", openai.Json.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("Bad tool schema.", openai.Json.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("claude-test")]
    [InlineData("oai-test")]
    public async Task AStreamCutMidway_AbortsTheClientsConnection_NeverACleanEnd(string model)
    {
        _anthropic.Behavior = new FakeBehavior { Chunks = 6, BreakAfterChunks = 3 };
        _openai.Behavior = new FakeBehavior { Chunks = 6, BreakAfterChunks = 3 };
        var (account, key) = await _app.CreateAccountAsync();
        using var client = _app.CreateHttpClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent($$"""{"model":"{{model}}","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = new StringBuilder();
        var error = await Record.ExceptionAsync(async () =>
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync() is { } line)
            {
                received.AppendLine(line);
            }
        });

        Assert.True(error is IOException or HttpRequestException, $"expected an aborted connection, got {error?.GetType().Name ?? "a clean end"}");
        Assert.Contains("w2 ", received.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("message_stop", received.ToString(), StringComparison.Ordinal);
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal(502, row.GetInt32("Status"));
        Assert.Equal("upstream_stream_broken", row.GetString("ErrorCode"));
    }

    private async Task<Gateway.Answer> SendAsync(string? key, string path, string body, params (string Name, string Value)[] headers)
    {
        using var client = _app.CreateHttpClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await client.SendAsync(request);
        return new Gateway.Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(), null);
    }

    private static async Task<(string Text, string? ToolName, string ToolInput, StopReason? Stop, bool Stopped)> StreamAsync(AnthropicClient client, MessageCreateParams parameters)
    {
        var text = "";
        var toolInput = "";
        string? toolName = null;
        StopReason? stop = null;
        var stopped = false;
        await foreach (var e in client.Messages.CreateStreaming(parameters))
        {
            if (e.TryPickContentBlockStart(out var blockStart) && blockStart!.ContentBlock.TryPickToolUse(out var toolUse))
            {
                toolName = toolUse!.Name;
            }
            else if (e.TryPickContentBlockDelta(out var delta))
            {
                if (delta!.Delta.TryPickText(out var t))
                {
                    text += t!.Text;
                }
                else if (delta.Delta.TryPickInputJson(out var json))
                {
                    toolInput += json!.PartialJson;
                }
            }
            else if (e.TryPickDelta(out var messageDelta))
            {
                stop = messageDelta!.Delta.StopReason!.Value();
            }
            else if (e.TryPickStop(out _))
            {
                stopped = true;
            }
        }
        return (text, toolName, toolInput, stop, stopped);
    }
}
