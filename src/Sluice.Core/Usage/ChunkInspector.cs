using System.Text;
using System.Text.Json;

namespace Sluice.Usage;

/// <summary>
/// Reads what metering needs from each streamed <c>chat.completion.chunk</c>: the usage object of the final chunk,
/// and a bounded sample of the completion text in case the stream ends without usage. One forward pass of
/// <see cref="Utf8JsonReader"/> per chunk; no regex, no LINQ, no allocation beyond the bounded sample.
/// </summary>
/// <remarks>The sample is kept as the chunks carry it, UTF-8 (at most <paramref name="sampleByteLimit"/> bytes, passed
/// by at most one string): it lives as long as the stream, and as UTF-16 in a string builder it took twice the bytes
/// and more, most of what an open stream costs the gateway beside its buffers (docs/performance.md).</remarks>
public sealed class ChunkInspector(int sampleByteLimit = 16 * 1024)
{
    private byte[] _sample = [];
    private int _sampleLength;

    /// <summary>Usage reported by the upstream, if a chunk carried it.</summary>
    public TokenUsage? Usage { get; private set; }

    /// <summary>Chunks that carried completion text or tool-call arguments.</summary>
    public int ContentChunks { get; private set; }

    /// <summary>Chunks whose text went into <see cref="Sample"/>; the rest are extrapolated from it.</summary>
    public int SampledChunks { get; private set; }

    public string Sample => Encoding.UTF8.GetString(_sample, 0, _sampleLength);

    /// <summary>The <c>code</c> (else <c>type</c>, else empty) of an in-band <c>error</c> chunk, the way OpenAI and
    /// the OpenAI-compatible servers report a failure after the stream began; null while there was none. As the
    /// upstream sent it, at most <see cref="MaxFailureLength"/> characters: a longer one reads as empty.</summary>
    public string? Failure { get; private set; }

    private const int MaxFailureLength = 64;

    /// <summary>Inspects one chunk. Returns true when it is a usage-only chunk (no choices, usage set), which the
    /// relay drops for clients that did not ask for usage.</summary>
    public bool Inspect(ReadOnlySpan<byte> chunk)
    {
        var reader = new Utf8JsonReader(chunk, new JsonReaderOptions { MaxDepth = 64 });
        var usageOnly = false;
        var choicesCount = -1;
        var hadContent = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        Usage = ReadUsage(ref reader);
                    }
                    else
                    {
                        reader.TrySkip();
                    }
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        Failure = ReadFailure(ref reader);
                    }
                    else
                    {
                        reader.TrySkip();
                    }
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        choicesCount = 0;
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            choicesCount++;
                            hadContent |= ReadChoice(ref reader);
                        }
                    }
                    else
                    {
                        reader.TrySkip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.TrySkip();
                }
            }
            usageOnly = choicesCount == 0 && Usage is not null;
        }
        catch (JsonException)
        {
            // A chunk the gateway cannot read is still relayed as is; it only does not count.
        }
        Count(hadContent);
        return usageOnly;
    }

    /// <summary>
    /// Records one chunk from what another reader's pass over it already found, leaving the state <see cref="Inspect"/>
    /// would: the stream translations read each chunk once, for themselves and for the meter. For a chunk whose text
    /// sits in at most one field of its only choice's <c>delta</c> (the reader reads the chunk again otherwise).
    /// </summary>
    /// <param name="usage">The chunk's <c>usage</c> object's JSON, or empty.</param>
    /// <param name="error">The chunk's <c>error</c> object's JSON, or empty.</param>
    /// <param name="text">The string token (quotes included) of the delta's <c>content</c>, <c>refusal</c> or
    /// <c>reasoning_content</c> that holds text, or empty.</param>
    /// <param name="hadText">Whether any of those was a string: an empty one still counts as a content chunk.</param>
    /// <param name="toolCalls">The delta's <c>tool_calls</c> array, or empty; walked as <see cref="Inspect"/> walks it.</param>
    public void Record(ReadOnlySpan<byte> usage, ReadOnlySpan<byte> error, ReadOnlySpan<byte> text, bool hadText,
        ReadOnlySpan<byte> toolCalls)
    {
        if (!usage.IsEmpty)
        {
            var reader = new Utf8JsonReader(usage);
            reader.Read();
            Usage = ReadUsage(ref reader);
        }
        if (!error.IsEmpty)
        {
            var reader = new Utf8JsonReader(error);
            reader.Read();
            Failure = ReadFailure(ref reader);
        }
        if (text.Length > 2 && _sampleLength < sampleByteLimit)
        {
            var reader = new Utf8JsonReader(text);
            reader.Read();
            AppendString(ref reader);
        }
        if (!toolCalls.IsEmpty)
        {
            var reader = new Utf8JsonReader(toolCalls);
            reader.Read();
            hadText |= ReadTextFields(ref reader);
        }
        Count(hadText);
    }

    private void Count(bool hadContent)
    {
        if (hadContent)
        {
            ContentChunks++;
            if (_sampleLength < sampleByteLimit)
            {
                SampledChunks++;
            }
        }
    }

    /// <summary>Reads an error object: its <c>code</c>, else its <c>type</c>, when a short string.</summary>
    private static string ReadFailure(ref Utf8JsonReader reader)
    {
        string? code = null, type = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCode = reader.ValueTextEquals("code"u8);
            var isType = reader.ValueTextEquals("type"u8);
            reader.Read();
            if ((isCode || isType) && reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length <= MaxFailureLength)
            {
                if (isCode)
                {
                    code = reader.GetString();
                }
                else
                {
                    type = reader.GetString();
                }
            }
            else
            {
                reader.TrySkip();
            }
        }
        return code ?? type ?? "";
    }

    /// <summary>Reads one choice object; appends its delta text to the sample. Returns whether it carried text.</summary>
    private bool ReadChoice(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.TrySkip();
            return false;
        }
        var had = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                had |= ReadTextFields(ref reader);
            }
            else
            {
                reader.Read();
                reader.TrySkip();
            }
        }
        return had;
    }

    /// <summary>Walks an object and samples every string under <c>content</c>, <c>refusal</c>, <c>reasoning_content</c>
    /// or <c>arguments</c>, at any depth (tool calls nest their arguments).</summary>
    private bool ReadTextFields(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return false;
        }
        var depth = reader.CurrentDepth;
        var had = false;
        var take = false;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    take = reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("arguments"u8)
                        || reader.ValueTextEquals("refusal"u8) || reader.ValueTextEquals("reasoning_content"u8);
                    break;
                case JsonTokenType.String when take:
                    had = true;
                    if (_sampleLength < sampleByteLimit)
                    {
                        AppendString(ref reader);
                    }
                    take = false;
                    break;
                default:
                    take = false;
                    break;
            }
        }
        return had;
    }

    /// <summary>Appends the current string token, unescaped, to the sample. Its escaped UTF-8 length bounds the
    /// unescaped one; the buffer doubles up to the limit, so a stream's sample never holds much more than it keeps.</summary>
    private void AppendString(ref Utf8JsonReader reader)
    {
        var bound = checked((int)(reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length));
        var needed = _sampleLength + bound;
        if (needed > _sample.Length)
        {
            var grown = Math.Max(needed, Math.Min(Math.Max(256, _sample.Length * 2), Math.Max(needed, sampleByteLimit)));
            Array.Resize(ref _sample, grown);
        }
        try
        {
            _sampleLength += reader.CopyString(_sample.AsSpan(_sampleLength));
        }
        catch (InvalidOperationException)
        {
            // Valid JSON that is not text (a lone UTF-16 surrogate escape): left out of the sample, as an unreadable
            // chunk is, rather than ending the relay before the request's row is written.
        }
    }

    /// <summary>Reads OpenAI's usage object: <c>prompt_tokens</c>, <c>completion_tokens</c>, and the details
    /// <c>prompt_tokens_details.cached_tokens</c> and <c>completion_tokens_details.reasoning_tokens</c>.</summary>
    internal static TokenUsage? ReadUsage(ref Utf8JsonReader reader)
    {
        int? prompt = null;
        int? completion = null;
        int cached = 0, reasoning = 0;
        var depth = reader.CurrentDepth;
        var details = 0; // 1: in prompt_tokens_details, 2: in completion_tokens_details
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }
            if (reader.CurrentDepth == depth + 1)
            {
                details = reader.ValueTextEquals("prompt_tokens_details"u8) ? 1 : reader.ValueTextEquals("completion_tokens_details"u8) ? 2 : 0;
                if (reader.ValueTextEquals("prompt_tokens"u8))
                {
                    reader.Read();
                    prompt = Number(ref reader);
                }
                else if (reader.ValueTextEquals("completion_tokens"u8))
                {
                    reader.Read();
                    completion = Number(ref reader);
                }
            }
            else if (reader.CurrentDepth == depth + 2 && details == 1 && reader.ValueTextEquals("cached_tokens"u8))
            {
                reader.Read();
                cached = Number(ref reader) ?? 0;
            }
            else if (reader.CurrentDepth == depth + 2 && details == 2 && reader.ValueTextEquals("reasoning_tokens"u8))
            {
                reader.Read();
                reasoning = Number(ref reader) ?? 0;
            }
        }
        return prompt is null && completion is null ? null
            : new TokenUsage(prompt ?? 0, completion ?? 0) { CachedTokens = cached, ReasoningTokens = reasoning };

        static int? Number(ref Utf8JsonReader reader) =>
            reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) ? n : null;
    }
}
