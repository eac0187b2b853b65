// The official client's Responses API is marked experimental (OPENAI001); calling the gateway with it is the point.
#pragma warning disable OPENAI001
using System.ClientModel;
using System.Text.Json;
using OpenAI;
using OpenAI.Responses;
using Sluice.Testing;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Responses;

/// <summary>
/// <c>/v1/responses</c> through the local host, called by the official <see cref="ResponsesClient"/>: passed through
/// to OpenAI and Azure OpenAI routes (model rewritten, <c>store: false</c> forced), translated for a chat-only route;
/// the state Sluice keeps (previous_response_id, GET, DELETE, input_items) for retain_all accounts only.
/// </summary>
public sealed class ResponsesEndToEndTests : IAsyncLifetime
{
    private const string WeatherSchema = """{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""";

    private FakeOpenAIUpstream _openai = null!;
    private SluiceApplication _app = null!;

    public async Task InitializeAsync()
    {
        _openai = await FakeOpenAIUpstream.StartAsync();
        _app = await SluiceApplication.StartAsync(new RouteSettings()
            .Add("gpt", "openai", _openai.BaseUrl, upstreamModel: "gpt-upstream", input: 2m, output: 8m, apiKey: "sk-route")
            .Add("azure-gpt", "azure-openai", _openai.Root, upstreamModel: "gpt4o-deployment", apiKey: "azure-route-key", apiVersion: "2024-10-21")
            .Add("local-llama", "openai-compatible", _openai.BaseUrl, upstreamModel: "llama3.1:8b", apiKey: null));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _openai.DisposeAsync();
    }

    private ResponsesClient Client(string key) =>
        new(new ApiKeyCredential(key), new ResponsesClientOptions { Endpoint = new Uri(_app.BaseAddress, "v1/") });

    private static CreateResponseOptions Ask(string model, string text, bool stream = false)
    {
        var options = new CreateResponseOptions(model, [ResponseItem.CreateUserMessageItem(text)])
        {
            StreamingEnabled = stream,
            Tools = { ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString(WeatherSchema), strictModeEnabled: false, "Weather by city") },
        };
        return options;
    }

    /// <summary>Reads a stream to its end: the text deltas and the final response.</summary>
    private static async Task<(string Text, ResponseResult? Completed, List<string> Kinds)> StreamAsync(ResponsesClient client, CreateResponseOptions options)
    {
        var text = "";
        ResponseResult? completed = null;
        var kinds = new List<string>();
        await foreach (var update in await client.CreateResponseStreamingAsync(options))
        {
            kinds.Add(update.GetType().Name);
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text += delta.Delta;
            }
            if (update is StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }
        return (text, completed, kinds);
    }

    private static string RequestHex(string responseId) => responseId["resp_".Length..];

    [Theory]
    [InlineData("gpt", "/v1/responses", "gpt-upstream")]
    [InlineData("azure-gpt", "/openai/v1/responses", "gpt4o-deployment")]
    public async Task PassThrough_OfficialClient_TextToolCallsAndUsage_StoreFalseUpstream(string model, string path, string upstreamModel)
    {
        _openai.Behavior = new FakeBehavior { Chunks = 3, PromptTokens = 12, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };
        var (account, key) = await _app.CreateAccountAsync();
        var client = Client(key);

        var options = Ask(model, "Weather in Paris?");
        options.StoredOutputEnabled = true;
        options.Metadata["app"] = "demo";
        var result = (await client.CreateResponseAsync(options)).Value;
        Assert.Equal("w0 w1 w2 ", result.GetOutputText());
        Assert.Equal("get_weather", Assert.IsType<FunctionCallResponseItem>(result.OutputItems[1]).FunctionName);
        Assert.Equal(12, result.Usage.InputTokenCount);
        // Sluice's id, not the provider's; and Sluice keeps nothing for a metadata_only account.
        Assert.NotEqual(FakeOpenAIUpstream.ResponseId, result.Id);
        Assert.False(result.Metadata.Count == 0);

        var sent = Assert.Single(_openai.Requests);
        Assert.Equal(path, sent.Path);
        Assert.Equal(upstreamModel, sent.Json.GetProperty("model").GetString());
        Assert.False(sent.Json.GetProperty("store").GetBoolean());
        Assert.Equal("demo", sent.Json.GetProperty("metadata").GetProperty("app").GetString());
        Assert.Equal("get_weather", sent.Json.GetProperty("tools")[0].GetProperty("name").GetString());

        var (text, completed, _) = await StreamAsync(client, Ask(model, "Weather in Paris?", stream: true));
        Assert.Equal("w0 w1 w2 ", text);
        Assert.NotNull(completed);
        Assert.Equal(2, completed.OutputItems.Count);
        Assert.False(_openai.Requests.Last().Json.GetProperty("store").GetBoolean());

        // JSON schema output: text.format reaches the route as sent, and the answer is the schema's JSON.
        var json = Ask(model, "Weather in Paris?");
        json.TextOptions = new ResponseTextOptions
        {
            TextFormat = ResponseTextFormat.CreateJsonSchemaFormat("answer", BinaryData.FromString("""{"type":"object"}"""), jsonSchemaIsStrict: true),
        };
        var structured = (await client.CreateResponseAsync(json)).Value;
        Assert.Equal("w0 w1 w2 ", JsonDocument.Parse(structured.GetOutputText()).RootElement.GetProperty("answer").GetString());
        var format = _openai.Requests.Last().Json.GetProperty("text").GetProperty("format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("answer", format.GetProperty("name").GetString());

        var rows = await UsageRows.ForAccountAsync(_app, account.Id, expected: 3);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.Equal(200, row.GetInt32("Status"));
            Assert.Equal("responses", row.GetString("Endpoint"));
            Assert.Equal(12, row.GetInt32("PromptTokens"));
            Assert.Equal(3, row.GetInt32("CompletionTokens"));
            Assert.False(row.GetBoolean("UsageEstimated"));
        });
        Assert.Contains(rows, row => row.RowKey.Contains(RequestHex(result.Id), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Translated_OfficialClient_ToolCallsAndJsonSchema_StreamingAndNot()
    {
        _openai.Behavior = new FakeBehavior { Chunks = 2, PromptTokens = 9, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };
        var (account, key) = await _app.CreateAccountAsync();
        var client = Client(key);
        var options = Ask("local-llama", "Weather in Paris?");
        options.Instructions = "Be terse.";
        options.MaxOutputTokenCount = 100;
        options.TextOptions = new ResponseTextOptions
        {
            TextFormat = ResponseTextFormat.CreateJsonSchemaFormat("answer", BinaryData.FromString("""{"type":"object"}"""), jsonSchemaIsStrict: true),
        };

        var result = (await client.CreateResponseAsync(options)).Value;
        Assert.Equal("w0 w1 ", JsonDocument.Parse(result.GetOutputText()).RootElement.GetProperty("answer").GetString());
        var call = Assert.IsType<FunctionCallResponseItem>(result.OutputItems[1]);
        Assert.Equal(FakeOpenAIUpstream.ToolCallId, call.CallId);
        Assert.Equal("""{"city":"Paris"}""", call.FunctionArguments.ToString());
        Assert.Equal(9, result.Usage.InputTokenCount);
        Assert.StartsWith("resp_", result.Id, StringComparison.Ordinal);

        var sent = Assert.Single(_openai.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("llama3.1:8b", sent.Json.GetProperty("model").GetString());
        Assert.Equal("system", sent.Json.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Equal("Be terse.", sent.Json.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal("get_weather", sent.Json.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("json_schema", sent.Json.GetProperty("response_format").GetProperty("type").GetString());
        Assert.Equal(100, sent.Json.GetProperty("max_tokens").GetInt32());

        // Turn two, stateless: the call and its output go back as input items, and reach the upstream as chat.
        var next = new CreateResponseOptions("local-llama",
            [ResponseItem.CreateUserMessageItem("Weather in Paris?"), call, ResponseItem.CreateFunctionCallOutputItem(call.CallId, "18C")])
        {
            StreamingEnabled = true,
        };
        var (text, completed, kinds) = await StreamAsync(client, next);
        Assert.Equal("w0 w1 ", text);
        Assert.Equal("StreamingResponseCreatedUpdate", kinds[0]);
        Assert.Equal("StreamingResponseCompletedUpdate", kinds[^1]);
        Assert.Equal(2, completed!.OutputItems.Count);
        var messages = _openai.Requests.Last().Json.GetProperty("messages");
        Assert.Equal(FakeOpenAIUpstream.ToolCallId, messages[1].GetProperty("tool_calls")[0].GetProperty("id").GetString());
        Assert.Equal("tool", messages[2].GetProperty("role").GetString());
        Assert.Equal("18C", messages[2].GetProperty("content").GetString());
        var rows = await UsageRows.ForAccountAsync(_app, account.Id, expected: 2);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, row => Assert.Equal("responses", row.GetString("Endpoint")));
        Assert.All(rows, row => Assert.Equal(9, row.GetInt32("PromptTokens")));
    }

    [Fact]
    public async Task Translated_BuiltInTool_IsA400BeforeAnyUpstreamCall()
    {
        var (account, key) = await _app.CreateAccountAsync();
        var answer = await Gateway.SendAsync(_app, key, HttpMethod.Post, "v1/responses",
            """{"model":"local-llama","input":"Search the news","tools":[{"type":"web_search"}]}""");
        Assert.Equal(400, answer.Status);
        Assert.Equal("unsupported_parameter", answer.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("tools[0]", answer.Json.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(0, _openai.Calls);
        Assert.Equal(400, Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id)).GetInt32("Status"));
    }

    /// <summary>The upstream breaks off mid-answer, passed through or translated: the client's connection is aborted,
    /// never ended cleanly, and the row says the stream broke.</summary>
    [Theory]
    [InlineData("local-llama")]
    [InlineData("gpt")]
    public async Task StreamCutMidWay_AbortsTheClient_NeverCompletes(string model)
    {
        _openai.Behavior = new FakeBehavior { Chunks = 6, BreakAfterChunks = 2 };
        var (account, key) = await _app.CreateAccountAsync();
        var kinds = new List<string>();
        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var update in await Client(key).CreateResponseStreamingAsync(Ask(model, "hi", stream: true)))
            {
                kinds.Add(update.GetType().Name);
            }
        });
        Assert.NotNull(error);
        Assert.Contains("StreamingResponseOutputTextDeltaUpdate", kinds);
        Assert.DoesNotContain("StreamingResponseCompletedUpdate", kinds);
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal(502, row.GetInt32("Status"));
        Assert.Equal("upstream_stream_broken", row.GetString("ErrorCode"));
    }

    [Fact]
    public async Task RetainAll_PreviousResponseId_Get_InputItems_Delete_AreServedFromSluicesStore()
    {
        _openai.Behavior = new FakeBehavior { Chunks = 2 };
        var (account, key) = await _app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(_app, key, """{"content_mode":"retain_all","content_retention_days":7}""")).Status);
        var client = Client(key);

        var first = (await client.CreateResponseAsync(new CreateResponseOptions("gpt", [ResponseItem.CreateUserMessageItem("Weather today?")]))).Value;
        // The echoed store says Sluice keeps it (the provider was told store:false).
        Assert.True(JsonDocument.Parse(System.ClientModel.Primitives.ModelReaderWriter.Write(first)).RootElement.GetProperty("store").GetBoolean());
        Assert.False(_openai.Requests.Last().Json.GetProperty("store").GetBoolean());

        // Turn two by reference, streamed: the provider gets the whole context and no previous_response_id.
        var (text, second, _) = await StreamAsync(client, new CreateResponseOptions("gpt", [ResponseItem.CreateUserMessageItem("And tomorrow?")])
        {
            PreviousResponseId = first.Id,
            StreamingEnabled = true,
        });
        Assert.Equal("w0 w1 ", text);
        var sent = _openai.Requests.Last().Json;
        Assert.False(sent.TryGetProperty("previous_response_id", out _));
        Assert.False(sent.GetProperty("store").GetBoolean());
        var input = sent.GetProperty("input");
        Assert.Equal(3, input.GetArrayLength());
        Assert.Equal("w0 w1 ", input[1].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(first.Id, second!.PreviousResponseId);

        // Turn three continues turn two (translated route this time): the chain holds all five items.
        var third = (await client.CreateResponseAsync(new CreateResponseOptions("local-llama", [ResponseItem.CreateUserMessageItem("Thanks")]) { PreviousResponseId = second.Id })).Value;
        Assert.Equal(["user", "assistant", "user", "assistant", "user"],
            _openai.Requests.Last().Json.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));

        var fetched = (await client.GetResponseAsync(second.Id)).Value;
        Assert.Equal(second.Id, fetched.Id);
        Assert.Equal("w0 w1 ", fetched.GetOutputText());
        var items = new List<ResponseItem>();
        await foreach (var item in client.GetResponseInputItemsAsync(third.Id))
        {
            items.Add(item);
        }
        Assert.Equal(5, items.Count);

        var deleted = (await client.DeleteResponseAsync(second.Id)).Value;
        Assert.True(deleted.Deleted);
        var gone = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(second.Id));
        Assert.Equal(404, gone.Status);
        var chainGone = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CreateResponseAsync(new CreateResponseOptions("gpt", [ResponseItem.CreateUserMessageItem("x")]) { PreviousResponseId = second.Id }));
        Assert.Equal(404, chainGone.Status);
        // The usage row of the erased response stays, without its content.
        var rows = await UsageRows.ForAccountAsync(_app, account.Id);
        Assert.Equal(4, rows.Count(r => r.GetInt32("Status") is 200 or 404));
    }

    /// <summary>A stored response is the account's: another account's key (an owner's, even) finds nothing by its id,
    /// cannot continue it, and cannot delete it.</summary>
    [Fact]
    public async Task StoredResponses_AreNotFoundByAnotherAccount_ForGetInputItemsDeleteAndPreviousResponseId()
    {
        _openai.Behavior = new FakeBehavior { Chunks = 2 };
        var (_, key) = await _app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(_app, key, """{"content_mode":"retain_all","content_retention_days":7}""")).Status);
        var (_, intruderKey) = await _app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(_app, intruderKey, """{"content_mode":"retain_all","content_retention_days":7}""")).Status);
        var stored = (await Client(key).CreateResponseAsync(new CreateResponseOptions("gpt", [ResponseItem.CreateUserMessageItem("victim prompt")]))).Value;
        var calls = _openai.Calls;

        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Get, $"v1/responses/{stored.Id}", null),
            (HttpMethod.Get, $"v1/responses/{stored.Id}/input_items", null),
            (HttpMethod.Delete, $"v1/responses/{stored.Id}", null),
            (HttpMethod.Post, "v1/responses", $$"""{"model":"gpt","previous_response_id":"{{stored.Id}}","input":"and then?"}"""),
        })
        {
            var answer = await Gateway.SendAsync(_app, intruderKey, method, path, body);
            Assert.True(answer.Status == 404, $"{method} {path}: {answer.Status}");
            Assert.DoesNotContain("victim prompt", answer.Body, StringComparison.Ordinal);
        }

        Assert.Equal(calls, _openai.Calls);
        Assert.Equal(stored.Id, (await Client(key).GetResponseAsync(stored.Id)).Value.Id);
    }

    [Fact]
    public async Task MetadataOnly_PreviousResponseId_GetsTheClearError_AndNoUpstreamIsCalled()
    {
        _openai.Behavior = new FakeBehavior { Chunks = 2 };
        var (_, key) = await _app.CreateAccountAsync();
        var client = Client(key);
        var first = (await client.CreateResponseAsync(new CreateResponseOptions("gpt", [ResponseItem.CreateUserMessageItem("hi")]))).Value;
        var calls = _openai.Calls;

        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CreateResponseAsync(new CreateResponseOptions("gpt", [ResponseItem.CreateUserMessageItem("again")]) { PreviousResponseId = first.Id }));
        Assert.Equal(400, error.Status);
        Assert.Contains("keeps no content", error.Message, StringComparison.Ordinal);
        Assert.Equal(calls, _openai.Calls);

        var get = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(first.Id));
        Assert.Equal(400, get.Status);
        Assert.Contains("metadata_only", get.Message, StringComparison.Ordinal);
    }
}
