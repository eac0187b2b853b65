using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Sluice.Accounts;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Upstreams;

/// <summary>The fake Anthropic upstream is only a fair fixture if Anthropic's own SDK reads it like the real API:
/// text, tool use, stop reason and usage, streamed and not.</summary>
public sealed class FakeAnthropicUpstreamFidelityTests
{
    private static AnthropicClient Client(FakeAnthropicUpstream fake) => new(new ClientOptions
    {
        ApiKey = "sk-ant-test",
        BaseUrl = fake.Root.ToString().TrimEnd('/'),
        MaxRetries = 0,
    });

    private static MessageCreateParams Params() => new()
    {
        MaxTokens = 256,
        Model = "claude-fake",
        Messages = [new UserMessageParam("What is the weather in Paris?")],
    };

    [Fact]
    public async Task OfficialSdk_ReadsTheFakesMessage_TextToolUseStopReasonAndUsage()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync();
        fake.Behavior = new FakeBehavior { Chunks = 3, PromptTokens = 11, CacheReadTokens = 4, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };

        var message = await Client(fake).Messages.Create(Params());

        Assert.Equal(FakeAnthropicUpstream.MessageId, message.ID);
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("w0 w1 w2 ", text!.Text);
        Assert.True(message.Content[1].TryPickToolUse(out var tool));
        Assert.Equal("get_weather", tool!.Name);
        Assert.Equal(FakeAnthropicUpstream.ToolUseId, tool.ID);
        Assert.Equal("Paris", tool.Input["city"].GetString());
        Assert.Equal(StopReason.ToolUse, message.StopReason!.Value());
        Assert.Equal(11, message.Usage.InputTokens);
        Assert.Equal(4, message.Usage.CacheReadInputTokens);
        Assert.Equal(3, message.Usage.OutputTokens);

        var sent = Assert.Single(fake.Requests);
        // SDK 13.x sends the key as a bearer token and a newer anthropic-version than the gateway's 2023-06-01.
        Assert.Equal("Bearer sk-ant-test", sent.Headers["authorization"]);
        Assert.True(sent.Headers.ContainsKey("anthropic-version"));
    }

    [Fact]
    public async Task OfficialSdk_ReadsTheFakesStream_TextDeltasToolInputStopReasonAndUsage()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync();
        fake.Behavior = new FakeBehavior { Chunks = 4, PromptTokens = 9, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };

        var text = "";
        var toolInput = "";
        string? toolName = null;
        StopReason? stop = null;
        long? inputTokens = null, outputTokens = null;
        var stopped = false;
        await foreach (var e in Client(fake).Messages.CreateStreaming(Params()))
        {
            if (e.TryPickStart(out var start))
            {
                inputTokens = start!.Message.Usage.InputTokens;
            }
            else if (e.TryPickContentBlockStart(out var blockStart) && blockStart!.ContentBlock.TryPickToolUse(out var toolUse))
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
                outputTokens = messageDelta.Usage.OutputTokens;
            }
            else if (e.TryPickStop(out _))
            {
                stopped = true;
            }
        }

        Assert.Equal("w0 w1 w2 w3 ", text);
        Assert.Equal("get_weather", toolName);
        Assert.Equal("""{"city":"Paris"}""", toolInput);
        Assert.Equal(StopReason.ToolUse, stop);
        Assert.Equal(9, inputTokens);
        Assert.Equal(4, outputTokens);
        Assert.True(stopped);
    }

    [Fact]
    public async Task OfficialSdk_SurfacesTheFakesErrorBody()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync();
        fake.Behavior = new FakeBehavior { Status = 404 };

        var error = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => Client(fake).Messages.Create(Params()));

        Assert.Contains("Fake upstream error 404", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfficialSdk_ReadsTheFakesTokenCount()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync();
        fake.Behavior = new FakeBehavior { PromptTokens = 21 };

        var count = await Client(fake).Messages.CountTokens(new MessageCountTokensParams
        {
            Model = "claude-fake",
            Messages = [new UserMessageParam("What is the weather in Paris?")],
        });

        Assert.Equal(21, count.InputTokens);
        Assert.Equal("/v1/messages/count_tokens", Assert.Single(fake.Requests).Path);
    }
}
