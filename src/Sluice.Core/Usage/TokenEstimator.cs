using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Sluice.Proxy;

namespace Sluice.Usage;

/// <summary>
/// Counts tokens with a real tokenizer (o200k_base, the GPT-4o family's) when an upstream gives no usage: a stream
/// cut off by the client, or a provider that does not report it. Rows metered this way are marked
/// <c>usage_estimated</c>. The tokenizer's vocabulary loads once, on first use.
/// </summary>
public sealed class TokenEstimator
{
    private readonly Lazy<Tokenizer> _tokenizer = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public int Count(string text) => string.IsNullOrEmpty(text) ? 0 : _tokenizer.Value.CountTokens(text);

    /// <summary>Prompt tokens the way OpenAI counts chat input: each message's role, name and text, plus a few
    /// tokens of framing per message and for the reply's priming.</summary>
    public int CountPrompt(ChatRequest request)
    {
        var total = 3;
        foreach (var message in request.Messages.EnumerateArray())
        {
            total += 3;
            foreach (var property in message.EnumerateObject())
            {
                total += property.Value.ValueKind switch
                {
                    JsonValueKind.String => Count(property.Value.GetString()!),
                    JsonValueKind.Array when property.NameEquals("content"u8) => CountParts(property.Value),
                    JsonValueKind.Array or JsonValueKind.Object => Count(property.Value.GetRawText()),
                    _ => 0,
                };
            }
        }
        if (request.Root.TryGetProperty("tools"u8, out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            total += Count(tools.GetRawText());
        }
        return total;
    }

    private int CountParts(JsonElement parts)
    {
        var total = 0;
        foreach (var part in parts.EnumerateArray())
        {
            if (part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
            {
                total += Count(text.GetString()!);
            }
            else
            {
                // Images and audio: OpenAI bills them by size and detail; a flat figure marks them without guessing.
                total += 85;
            }
        }
        return total;
    }

    /// <summary>Completion tokens of a stream from its sampled text, extrapolated over the chunks not sampled.</summary>
    public int CountCompletion(ChunkInspector inspector)
    {
        var sampled = Count(inspector.Sample);
        if (inspector.SampledChunks == 0 || inspector.ContentChunks <= inspector.SampledChunks)
        {
            return sampled;
        }
        return (int)Math.Ceiling(sampled * (double)inspector.ContentChunks / inspector.SampledChunks);
    }

    /// <summary>Completion tokens of a non-streamed body from what the scanner kept of it.</summary>
    public int CountCompletion(JsonUsageScanner scanner)
    {
        if (scanner.SampleIsWhole)
        {
            var inspector = new ChunkInspector(int.MaxValue);
            inspector.Inspect(scanner.Sample);
            return Count(inspector.Sample);
        }
        // Too long to have kept whole: about four bytes of JSON-escaped text per token.
        return (int)(scanner.Length / 4);
    }
}
