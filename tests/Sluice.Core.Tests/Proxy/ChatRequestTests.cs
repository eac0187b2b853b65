using System.Buffers;
using System.Text;
using Sluice.Proxy;

namespace Sluice.Core.Tests.Proxy;

public sealed class ChatRequestTests
{
    private static (ChatRequest? Request, ApiError? Error) Parse(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var rented = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(rented, 0);
        ChatRequest.TryParse(rented, bytes.Length, out var request, out var error);
        return (request, error);
    }

    [Theory]
    [InlineData("{", "not valid JSON", null)]
    [InlineData("[]", "must be a JSON object", null)]
    [InlineData("""{"messages":[{"role":"user","content":"x"}]}""", "model parameter", "model")]
    [InlineData("""{"model":42,"messages":[{"role":"user","content":"x"}]}""", "'model' must be a non-empty string", "model")]
    [InlineData("""{"model":"m"}""", "'messages'", "messages")]
    [InlineData("""{"model":"m","messages":[]}""", "non-empty array", "messages")]
    [InlineData("""{"model":"m","messages":"hi"}""", "non-empty array", "messages")]
    [InlineData("""{"model":"m","messages":[{"role":"robot","content":"x"}]}""", "'messages[0].role' must be one of", "messages[0].role")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":5}]}""", "'messages[0].content' must be", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"},"z"]}""", "'messages[2]' must be an object", "messages[2]")]
    [InlineData("""{"model":"m","messages":[{"role":"system","content":"x"},{"role":"User","content":"y"}]}""", "'messages[1].role' must be one of", "messages[1].role")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]}""", "Each part of 'messages[0].content'", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}""", "'stream' must be a boolean", "stream")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}""", "positive integer", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}""", "'temperature' must be a number", "temperature")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]}""", "'stop' must be", "stop")]
    public void InvalidRequests_AreRefusedWithAClearMessage_AndParam(string json, string message, string? param)
    {
        var (request, error) = Parse(json);

        Assert.Null(request);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(param, error.Param);
    }

    [Theory]
    [InlineData("system")]
    [InlineData("developer")]
    [InlineData("user")]
    [InlineData("assistant")]
    [InlineData("tool")]
    [InlineData("function")]
    public void EveryOpenAIRole_IsAccepted(string role)
    {
        var (request, error) = Parse($$"""{"model":"m","messages":[{"role":"user","content":"x"},{"role":"{{role}}","content":"y"}]}""");

        Assert.Null(error);
        request!.Dispose();
    }

    [Fact]
    public void ErrorMessages_NeverEchoTheValuesTheClientSent()
    {
        const string canary = "CANARY-7f3a";
        foreach (var json in new[]
        {
            $$"""{"model":{"x":"{{canary}}"},"messages":[{"role":"user","content":"x"}]}""",
            $$"""{"model":"m","messages":[{"role":"{{canary}}","content":"x"}]}""",
            $$$"""{"model":"m","messages":[{"role":"user","content":{"{{{canary}}}":1}}]}""",
            $$$"""{"model":"m","messages":[{"role":"user","content":"{{{canary}}}"}],"stop":{"a":"{{{canary}}}"}}""",
            $$"""{"model":"m","messages":[{"role":"user","content":"{{canary}}""",
        })
        {
            var (_, error) = Parse(json);
            Assert.NotNull(error);
            Assert.DoesNotContain(canary, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ValidRequest_ExposesWhatTheGatewayNeeds()
    {
        var (request, error) = Parse("""{"model":"gpt-x","stream":true,"stream_options":{"include_usage":true},"store":false,"max_completion_tokens":7,"messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"}]}]}""");

        Assert.Null(error);
        using (request)
        {
            Assert.Equal("gpt-x", request!.Model);
            Assert.True(request.Stream);
            Assert.True(request.ClientWantsStreamUsage);
            Assert.False(request.Store);
            Assert.Equal(7, request.MaxTokens);
            Assert.Equal(2, request.Messages.GetArrayLength());
        }
    }
}
