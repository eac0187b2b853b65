using System.Buffers;
using System.Text;
using Sluice.Wire;

namespace Sluice.Core.Tests.Proxy;

public sealed class ChatRequestTests
{
    private static (ChatRequest? Request, ApiError? Error) Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    private static (ChatRequest? Request, ApiError? Error) Parse(byte[] bytes)
    {
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

    [Fact]
    public void AModelNameLongerThanTheCap_IsRefused_WithoutEchoingIt_AndOneAtTheCapIsAccepted()
    {
        var atCap = new string('m', ChatRequest.MaxModelLength);
        var (request, error) = Parse($$"""{"model":"{{atCap}}","messages":[{"role":"user","content":"x"}]}""");
        Assert.Null(error);
        Assert.Equal(atCap, request!.Model);
        request.Dispose();

        foreach (var length in new[] { ChatRequest.MaxModelLength + 1, 1024 * 1024 })
        {
            (request, error) = Parse($$"""{"model":"{{new string('m', length)}}","messages":[{"role":"user","content":"x"}]}""");
            Assert.Null(request);
            Assert.Equal(400, error!.Status);
            Assert.Equal("model", error.Param);
            Assert.Contains($"at most {ChatRequest.MaxModelLength} characters", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("mmmmmmmm", error.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Raw bytes spliced into a valid body (<c>\xHH</c> is that byte; the rest is ASCII as written, so
    /// <c>\ud800</c> is a JSON escape): invalid UTF-8 and lone surrogates in every place a client can put them.</summary>
    public static TheoryData<string, string> BadText => new()
    {
        { "model", @"gpt\xFF" },
        { "model", @"gpt\ud800" },
        { "model", @"\udc00x" },
        { "model", @"\ud800\ud800" },
        { "model", @"\xED\xA0\x80" },          // a surrogate encoded as UTF-8 (CESU-8): invalid UTF-8
        { "model", @"\xC0\xAF" },              // an overlong encoding of '/'
        { "model", @"ab\xE2\x82" },            // a truncated sequence
        { "role", @"us\xFFer" },
        { "role", @"\ud800" },
        { "content", @"hello \xF8\x88\x80\x80\x80" },
        { "content", @"hello \udfff world" },
        { "content", @"\ud83d" },
        { "name", @"\ud800" },
        { "user", @"\xFE" },
        { "key", @"\ud800" },
        { "key", @"k\x80" },
    };

    [Theory]
    [MemberData(nameof(BadText))]
    public void InvalidUtf8_OrALoneSurrogate_AnywhereInTheBody_IsA400(string where, string text)
    {
        var (request, error) = Parse(Body(where, Raw(text)));

        Assert.Null(request);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(@"\ud83d\ude00")]       // an escaped surrogate pair (Python's json.dumps writes emoji this way)
    [InlineData(@"\xF0\x9F\x98\x80")]   // the same emoji as UTF-8
    [InlineData(@"\u00e9t\u00e9 \\ud800 \u0000")] // an escaped backslash before "ud800" is text, not an escape
    public void ValidSurrogatePairsAndEscapes_AreAccepted(string text)
    {
        var (request, error) = Parse(Body("content", Raw(text)));

        Assert.Null(error);
        request!.Dispose();
    }

    /// <summary>A valid request with <paramref name="raw"/> as the value (for "key", a property name) at <paramref name="where"/>.</summary>
    private static byte[] Body(string where, byte[] raw)
    {
        string Slot(string name) => where == name ? "@@SLOT@@" : name switch { "model" => "gpt-test", "role" => "user", _ => "x" };
        var json = $$$"""{"model":"{{{Slot("model")}}}","messages":[{"role":"{{{Slot("role")}}}","content":"{{{Slot("content")}}}","name":"{{{Slot("name")}}}"}],"user":"{{{Slot("user")}}}","metadata":{"{{{Slot("key")}}}":"v"}}""";
        var template = Encoding.UTF8.GetBytes(json);
        var at = template.AsSpan().IndexOf("@@SLOT@@"u8);
        return [.. template.AsSpan(0, at), .. raw, .. template.AsSpan(at + 8)];
    }

    private static byte[] Raw(string text)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 3 < text.Length && text[i + 1] == 'x')
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 2, 2), 16));
                i += 3;
            }
            else
            {
                bytes.Add((byte)text[i]);
            }
        }
        return [.. bytes];
    }
}
