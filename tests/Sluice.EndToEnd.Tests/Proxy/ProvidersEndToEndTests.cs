using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using Sluice.Testing;
using Sluice.Testing.Upstreams;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Proxy;

/// <summary>Each provider through the local host, called by the official OpenAI client or plain HTTP: what
/// reaches the upstream, what the client reads, and the usage row in Azurite.</summary>
public sealed class ProvidersEndToEndTests : IAsyncLifetime
{
    private const string WeatherSchema = """{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""";

    private FakeAnthropicUpstream _anthropic = null!;
    private FakeOpenAIUpstream _openai = null!;
    private SluiceApplication _app = null!;

    public async Task InitializeAsync()
    {
        _anthropic = await FakeAnthropicUpstream.StartAsync();
        _openai = await FakeOpenAIUpstream.StartAsync();
        _app = await SluiceApplication.StartAsync(new RouteSettings()
            .Add("claude", "anthropic", _anthropic.BaseUrl, upstreamModel: "claude-sonnet-upstream", input: 3m, output: 15m, apiKey: "sk-ant-route")
            .Add("azure-gpt", "azure-openai", _openai.Root, upstreamModel: "gpt4o-deployment", apiKey: "azure-route-key", apiVersion: "2024-10-21")
            .Add("local-llama", "openai-compatible", _openai.BaseUrl, upstreamModel: "llama3.1:8b", apiKey: null));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _anthropic.DisposeAsync();
        await _openai.DisposeAsync();
    }

    [Fact]
    public async Task Anthropic_NonStreaming_OfficialClient_GetsTextToolCallsAndUsage_AndTheRowIsPriced()
    {
        _anthropic.Behavior = new FakeBehavior
        {
            Chunks = 4, PromptTokens = 20, CacheReadTokens = 5, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""",
        };
        var (account, key) = await _app.CreateAccountAsync();
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather by city", BinaryData.FromString(WeatherSchema)) },
            ToolChoice = ChatToolChoice.CreateRequiredChoice(),
            MaxOutputTokenCount = 200,
        };

        var completion = (await _app.OpenAIChat(key, "claude").CompleteChatAsync(
            [new SystemChatMessage("You are terse."), new UserChatMessage("Weather in Paris?")], options)).Value;

        Assert.Equal("w0 w1 w2 w3 ", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal(FakeAnthropicUpstream.ToolUseId, call.Id);
        Assert.Equal("Paris", JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString());
        Assert.Equal(25, completion.Usage.InputTokenCount);
        Assert.Equal(4, completion.Usage.OutputTokenCount);

        var sent = Assert.Single(_anthropic.Requests);
        Assert.Equal("sk-ant-route", sent.Headers["x-api-key"]);
        Assert.Equal("claude-sonnet-upstream", sent.Json.GetProperty("model").GetString());
        Assert.Equal(200, sent.Json.GetProperty("max_tokens").GetInt32());
        Assert.Equal("You are terse.", sent.Json.GetProperty("system")[0].GetProperty("text").GetString());
        Assert.Equal("get_weather", sent.Json.GetProperty("tools")[0].GetProperty("name").GetString());
        Assert.Equal("any", sent.Json.GetProperty("tool_choice").GetProperty("type").GetString());

        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal("anthropic", row.GetString("Provider"));
        Assert.Equal("claude-sonnet-upstream", row.GetString("UpstreamModel"));
        Assert.Equal(25, row.GetInt32("PromptTokens"));
        Assert.Equal(4, row.GetInt32("CompletionTokens"));
        Assert.False(row.GetBoolean("UsageEstimated"));
        // 25 × $3/M + 4 × $15/M = $0.000135.
        Assert.Equal(135_000, row.GetInt64("CostNanoUsd"));
    }

    [Fact]
    public async Task Anthropic_Streaming_OfficialClient_ReadsTextToolCallFinishAndUsage_AndTheRowCarriesIt()
    {
        _anthropic.Behavior = new FakeBehavior { Chunks = 30, PromptTokens = 12, ToolName = "get_weather", ToolInput = """{"city":"Oslo"}""" };
        var (account, key) = await _app.CreateAccountAsync();
        var options = new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather", BinaryData.FromString(WeatherSchema)) } };

        var text = new StringBuilder();
        var arguments = new StringBuilder();
        string? toolName = null, toolId = null;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in _app.OpenAIChat(key, "claude").CompleteChatStreamingAsync([new UserChatMessage("Weather in Oslo?")], options))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            foreach (var tool in update.ToolCallUpdates)
            {
                Assert.Equal(0, tool.Index);
                toolName ??= tool.FunctionName;
                toolId ??= tool.ToolCallId;
                arguments.Append(tool.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(FakeOpenAIUpstream.Content(30), text.ToString());
        Assert.Equal("get_weather", toolName);
        Assert.Equal(FakeAnthropicUpstream.ToolUseId, toolId);
        Assert.Equal("""{"city":"Oslo"}""", arguments.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal(12, usage?.InputTokenCount);
        Assert.Equal(30, usage?.OutputTokenCount);
        Assert.True(Assert.Single(_anthropic.Requests).Json.GetProperty("stream").GetBoolean());
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal(200, row.GetInt32("Status"));
        Assert.True(row.GetBoolean("Streamed"));
        Assert.False(row.GetBoolean("UsageEstimated"));
        Assert.Equal(12, row.GetInt32("PromptTokens"));
        Assert.Equal(30, row.GetInt32("CompletionTokens"));
    }

    [Fact]
    public async Task Anthropic_ToolResults_FromTheOfficialClient_ReachTheUpstreamAsToolResultBlocksInOneUserTurn()
    {
        var (_, key) = await _app.CreateAccountAsync();
        ChatMessage[] conversation =
        [
            new UserChatMessage("Weather in Paris and Rome?"),
            new AssistantChatMessage([
                ChatToolCall.CreateFunctionToolCall("call_p", "get_weather", BinaryData.FromString("""{"city":"Paris"}""")),
                ChatToolCall.CreateFunctionToolCall("call_r", "get_weather", BinaryData.FromString("""{"city":"Rome"}""")),
            ]),
            new ToolChatMessage("call_p", "18C"),
            new ToolChatMessage("call_r", "24C"),
        ];
        var options = new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather", BinaryData.FromString(WeatherSchema)) } };

        var completion = (await _app.OpenAIChat(key, "claude").CompleteChatAsync(conversation, options)).Value;

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        var messages = Assert.Single(_anthropic.Requests).Json.GetProperty("messages");
        Assert.Equal(3, messages.GetArrayLength());
        var toolUses = messages[1].GetProperty("content");
        Assert.Equal(["call_p", "call_r"], toolUses.EnumerateArray().Select(b => b.GetProperty("id").GetString()));
        Assert.Equal("Rome", toolUses[1].GetProperty("input").GetProperty("city").GetString());
        var results = messages[2];
        Assert.Equal("user", results.GetProperty("role").GetString());
        Assert.Equal(["tool_result", "tool_result"], results.GetProperty("content").EnumerateArray().Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("call_r", results.GetProperty("content")[1].GetProperty("tool_use_id").GetString());
    }

    [Fact]
    public async Task Anthropic_UpstreamErrors_ReachTheClientInOpenAIShape_WithTheirStatus()
    {
        _anthropic.Behavior = new FakeBehavior { Status = 400, ErrorBody = FakeAnthropicUpstream.Error("invalid_request_error", "messages: roles must alternate") };
        var (account, key) = await _app.CreateAccountAsync();
        using var client = _app.CreateHttpClient(key);

        using var response = await client.PostAsJsonAsync("v1/chat/completions", new { model = "claude", messages = new[] { new { role = "user", content = "x" } } });

        Assert.Equal(400, (int)response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("messages: roles must alternate", error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal(400, row.GetInt32("Status"));
        Assert.Equal("invalid_request_error", row.GetString("ErrorCode"));
    }

    [Fact]
    public async Task AzureOpenAI_ThroughTheHost_CallsTheDeploymentWithApiKey_AndNoModel()
    {
        var (account, key) = await _app.CreateAccountAsync();

        var completion = (await _app.OpenAIChat(key, "azure-gpt").CompleteChatAsync([new UserChatMessage("hi")])).Value;

        Assert.Equal(FakeOpenAIUpstream.Content(5), completion.Content[0].Text);
        var sent = Assert.Single(_openai.Requests);
        Assert.Equal("/openai/deployments/gpt4o-deployment/chat/completions", sent.Path);
        Assert.Equal("?api-version=2024-10-21", sent.Query);
        Assert.Equal("azure-route-key", sent.Headers["api-key"]);
        Assert.False(sent.Headers.ContainsKey("authorization"));
        Assert.False(sent.Json.TryGetProperty("model", out _));
        Assert.Equal("azure-openai", Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id)).GetString("Provider"));
    }

    [Fact]
    public async Task OpenAICompatible_WithoutAKey_SendsNoAuthorization_AndTheUpstreamModel()
    {
        var (_, key) = await _app.CreateAccountAsync();

        var completion = (await _app.OpenAIChat(key, "local-llama").CompleteChatAsync([new UserChatMessage("hi")])).Value;

        Assert.Equal(FakeOpenAIUpstream.Content(5), completion.Content[0].Text);
        var sent = Assert.Single(_openai.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.False(sent.Headers.ContainsKey("authorization"));
        Assert.Equal("llama3.1:8b", sent.Json.GetProperty("model").GetString());
    }
}
