using System.ClientModel;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Upstreams;

/// <summary>The fake OpenAI upstream is only a fair fixture if the official client reads it like the real API.</summary>
public sealed class FakeOpenAIUpstreamFidelityTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OfficialClient_ReadsTheFakesJsonAndStream(bool splitEventLines)
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Behavior = new FakeBehavior { Chunks = 4, PromptTokens = 6, SplitEventLines = splitEventLines };
        var client = new ChatClient("gpt-x", new ApiKeyCredential("sk-test"), new OpenAIClientOptions { Endpoint = fake.BaseUrl });

        var completion = (await client.CompleteChatAsync([new UserChatMessage("hi")])).Value;
        Assert.Equal("w0 w1 w2 w3 ", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(6, completion.Usage.InputTokenCount);
        Assert.Equal(4, completion.Usage.OutputTokenCount);

        var text = "";
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            text += string.Concat(update.ContentUpdate.Select(p => p.Text));
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }
        Assert.Equal("w0 w1 w2 w3 ", text);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.Equal(4, usage?.OutputTokenCount);
    }

    [Fact]
    public async Task OfficialClient_SurfacesTheFakesErrorBody()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Behavior = new FakeBehavior { Status = 400 };
        var client = new ChatClient("gpt-x", new ApiKeyCredential("sk-test"), new OpenAIClientOptions { Endpoint = fake.BaseUrl });

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(400, error.Status);
        Assert.Contains("Fake upstream error 400", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfficialClient_ReadsTheFakesToolCalls_JsonAndStreamed()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Behavior = new FakeBehavior { Chunks = 2, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };
        var client = new ChatClient("gpt-x", new ApiKeyCredential("sk-test"), new OpenAIClientOptions { Endpoint = fake.BaseUrl });

        var completion = (await client.CompleteChatAsync([new UserChatMessage("hi")])).Value;
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal(FakeOpenAIUpstream.ToolCallId, call.Id);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("""{"city":"Paris"}""", call.FunctionArguments.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);

        string? name = null, id = null;
        var arguments = "";
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var piece in update.ToolCallUpdates)
            {
                name ??= piece.FunctionName;
                id ??= piece.ToolCallId;
                arguments += piece.FunctionArgumentsUpdate?.ToString();
            }
            finish ??= update.FinishReason;
        }
        Assert.Equal(("get_weather", FakeOpenAIUpstream.ToolCallId, """{"city":"Paris"}"""), (name, id, arguments));
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Fact]
    public async Task OfficialEmbeddingClient_ReadsTheFakesEmbeddings_Base64AndFloat()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        var client = new EmbeddingClient("text-embedding-3-small", new ApiKeyCredential("sk-test"), new OpenAIClientOptions { Endpoint = fake.BaseUrl });

        var embeddings = (await client.GenerateEmbeddingsAsync(["a", "b"], new EmbeddingGenerationOptions { Dimensions = 5 })).Value;
        var raw = await client.GenerateEmbeddingsAsync(BinaryContent.Create(BinaryData.FromString(
            """{"model":"text-embedding-3-small","input":"a","encoding_format":"float"}""")));

        Assert.Equal(FakeOpenAIUpstream.Embedding(1, 5), embeddings[1].ToFloats().ToArray());
        Assert.Equal(2, embeddings.Usage.InputTokenCount);
        Assert.Equal("base64", fake.Requests.First().Json.GetProperty("encoding_format").GetString());
        using var json = System.Text.Json.JsonDocument.Parse(raw.GetRawResponse().Content);
        Assert.Equal(FakeOpenAIUpstream.Embedding(0, 3), json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray());
    }

    [Fact]
    public async Task OfficialClient_ReadsTheFakesJsonOutputWithToolCalls()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Behavior = new FakeBehavior { Chunks = 2, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };
        var client = new ChatClient("gpt-x", new ApiKeyCredential("sk-test"), new OpenAIClientOptions { Endpoint = fake.BaseUrl });
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("answer", BinaryData.FromString("""{"type":"object"}""")),
        };

        var completion = (await client.CompleteChatAsync([new UserChatMessage("hi")], options)).Value;
        Assert.Equal("w0 w1 ", System.Text.Json.JsonDocument.Parse(completion.Content[0].Text).RootElement.GetProperty("answer").GetString());
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal("""{"city":"Paris"}""", Assert.Single(completion.ToolCalls).FunctionArguments.ToString());

        var text = "";
        var arguments = "";
        string? name = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("hi")], options))
        {
            text += string.Concat(update.ContentUpdate.Select(p => p.Text));
            foreach (var call in update.ToolCallUpdates)
            {
                name ??= call.FunctionName;
                arguments += call.FunctionArgumentsUpdate?.ToString();
            }
        }
        Assert.Equal("""{"answer":"w0 w1 "}""", text);
        Assert.Equal("get_weather", name);
        Assert.Equal("""{"city":"Paris"}""", arguments);
    }
}
