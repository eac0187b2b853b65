using System.Text;
using Sluice.Usage;

namespace Sluice.Core.Tests.Usage;

public sealed class UsageExtractionTests
{
    private const string Completion = """{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"a \"usage\": {\"prompt_tokens\":999} b"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46,"completion_tokens_details":{"reasoning_tokens":0}},"system_fingerprint":"fp"}""";

    [Fact]
    public void Scanner_FindsTopLevelUsage_WhateverTheSplit_AndIgnoresLookAlikesInsideStrings()
    {
        var bytes = Encoding.UTF8.GetBytes(Completion);
        for (var split = 1; split < bytes.Length; split += 3)
        {
            using var scanner = new JsonUsageScanner();
            scanner.Append(bytes.AsSpan(0, split));
            scanner.Append(bytes.AsSpan(split));
            Assert.Equal(new TokenUsage(12, 34), scanner.Usage);
        }
    }

    [Fact]
    public void Scanner_ReportsNoUsage_WhenTheBodyHasNone()
    {
        using var scanner = new JsonUsageScanner();
        scanner.Append("""{"choices":[{"message":{"content":"usage"}}],"usage":null}"""u8);
        Assert.Null(scanner.Usage);
    }

    [Fact]
    public void Inspector_ReadsUsageChunk_AndSamplesDeltaText()
    {
        var inspector = new ChunkInspector();
        Assert.False(inspector.Inspect("""{"choices":[{"index":0,"delta":{"content":"Hel"}}],"usage":null}"""u8));
        Assert.False(inspector.Inspect("""{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"{\"a\""}}]}}]}"""u8));
        Assert.True(inspector.Inspect("""{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}"""u8));

        Assert.Equal(new TokenUsage(5, 2), inspector.Usage);
        Assert.Equal("Hel{\"a\"", inspector.Sample);
        Assert.Equal(2, inspector.ContentChunks);
    }

    /// <summary>A lone UTF-16 surrogate escape is valid JSON but not text: the meter leaves it out of its sample and
    /// still counts the chunk and reads the usage after it, instead of throwing out of the relay (which ended the
    /// request without its row).</summary>
    [Fact]
    public void Inspector_LeavesALoneSurrogateOutOfTheSample_AndStillReadsTheChunk()
    {
        var inspector = new ChunkInspector();

        inspector.Inspect("""{"choices":[{"index":0,"delta":{"content":"a\ud800b"}}]}"""u8);
        inspector.Inspect("""{"choices":[{"index":0,"delta":{"content":"ok"}}],"usage":{"prompt_tokens":3,"completion_tokens":2}}"""u8);

        Assert.Equal(2, inspector.ContentChunks);
        Assert.Equal("ok", inspector.Sample);
        Assert.Equal(new TokenUsage(3, 2), inspector.Usage);
    }
}
