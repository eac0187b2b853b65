// The official client's Responses API is marked experimental (OPENAI001); reading the fake with it is the point.
#pragma warning disable OPENAI001
using System.ClientModel;
using System.Text.Json;
using OpenAI;
using OpenAI.Responses;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Upstreams;

/// <summary>The fake's Responses API is only a fair fixture if the official <see cref="ResponsesClient"/> reads it
/// like the real one: the response object, the event sequence, function calls, usage and errors.</summary>
public sealed class FakeResponsesUpstreamFidelityTests
{
    private static ResponsesClient Client(FakeOpenAIUpstream fake) =>
        new(new ApiKeyCredential("sk-test"), new ResponsesClientOptions { Endpoint = fake.BaseUrl });

    [Fact]
    public async Task OfficialClient_ReadsTheFakesResponseAndEvents()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Behavior = new FakeBehavior { Chunks = 3, PromptTokens = 6, CacheReadTokens = 2, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };
        var client = Client(fake);
        var options = new CreateResponseOptions("gpt-x", [ResponseItem.CreateUserMessageItem("hi")]) { StoredOutputEnabled = false };

        var result = (await client.CreateResponseAsync(options)).Value;
        Assert.Equal(FakeOpenAIUpstream.ResponseId, result.Id);
        Assert.Equal(ResponseStatus.Completed, result.Status);
        Assert.Equal("w0 w1 w2 ", result.GetOutputText());
        var call = Assert.IsType<FunctionCallResponseItem>(result.OutputItems[1]);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("""{"city":"Paris"}""", call.FunctionArguments.ToString());
        Assert.Equal(6, result.Usage.InputTokenCount);
        Assert.Equal(2, result.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(3, result.Usage.OutputTokenCount);
        Assert.False(JsonDocument.Parse(fake.Requests.Last().Body).RootElement.GetProperty("store").GetBoolean());

        options.StreamingEnabled = true;
        var text = "";
        var kinds = new List<Type>();
        ResponseResult? completed = null;
        await foreach (var update in await client.CreateResponseStreamingAsync(options))
        {
            kinds.Add(update.GetType());
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text += delta.Delta;
            }
            if (update is StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }
        Assert.Equal("w0 w1 w2 ", text);
        Assert.Equal(typeof(StreamingResponseCreatedUpdate), kinds[0]);
        Assert.Contains(typeof(StreamingResponseFunctionCallArgumentsDoneUpdate), kinds);
        Assert.Equal(2, completed!.OutputItems.Count);
        Assert.Equal(3, completed.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task OfficialClient_SurfacesTheFakesErrors_AndItKeepsNothing()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        var client = Client(fake);

        var forgotten = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CreateResponseAsync(new CreateResponseOptions("gpt-x", [ResponseItem.CreateUserMessageItem("hi")]) { PreviousResponseId = "resp_earlier" }));
        Assert.Equal(400, forgotten.Status);

        fake.Behavior = new FakeBehavior { Status = 429 };
        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CreateResponseAsync("gpt-x", "hi"));
        Assert.Equal(429, error.Status);
        Assert.Contains("Fake upstream error 429", error.Message, StringComparison.Ordinal);
    }
}
