using System.ClientModel;
using OpenAI;
using OpenAI.Chat;
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
    public async Task OfficialClient_ReadsTheFakesToolCallsAndJsonOutput()
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
