using System.Buffers;
using System.Text.Json;
using Sluice.Usage;

namespace Sluice.Translation;

/// <summary>
/// What the stream translations read from one <c>chat.completion.chunk</c>, found in one forward pass of
/// <see cref="Utf8JsonReader"/> instead of a <see cref="JsonDocument"/> per chunk (most of what a translated stream
/// cost over a passed-through one). Strings are kept as their JSON tokens (quotes and escapes included), objects and
/// arrays as their JSON text, all slices of the chunk: nothing is copied or decoded until a translation uses it.
/// </summary>
/// <remarks>
/// The pass reads every token, so a chunk that is not JSON fails as a whole before anything of it is translated, as a
/// parse did. A property that appears twice counts once, the last time, as <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>
/// reads it. Only the first choice is read (Sluice asks for one). The same pass feeds the usage meter
/// (<see cref="Read(ReadOnlySpan{byte}, string, ChunkInspector)"/>), so a translated stream reads each chunk once; a
/// chunk shaped beyond what the pass keeps (a second choice, text in two fields, a duplicate property, ...) is read
/// again by the meter's own <see cref="ChunkInspector.Inspect"/>, so the usage row is the same either way.
/// </remarks>
internal readonly ref struct ChatStreamChunk
{
    /// <summary>The chunk's <c>error</c> is an object: an in-band failure.</summary>
    public bool HasError => !Error.IsEmpty;

    /// <summary>The <c>error</c> object's JSON, or empty.</summary>
    public ReadOnlySpan<byte> Error { get; private init; }

    /// <summary>The <c>usage</c> object's JSON, or empty.</summary>
    public ReadOnlySpan<byte> Usage { get; private init; }

    /// <summary>The string tokens of the chunk's <c>id</c> and <c>model</c>, or empty.</summary>
    public ReadOnlySpan<byte> Id { get; private init; }

    public ReadOnlySpan<byte> Model { get; private init; }

    /// <summary><c>choices</c> is an array whose first element is an object.</summary>
    public bool HasChoice { get; private init; }

    /// <summary>The first choice's <c>delta.content</c>, <c>delta.refusal</c> and <c>finish_reason</c> string tokens,
    /// or empty (also when not strings).</summary>
    public ReadOnlySpan<byte> Content { get; private init; }

    public ReadOnlySpan<byte> Refusal { get; private init; }

    public ReadOnlySpan<byte> FinishReason { get; private init; }

    /// <summary>The first choice's <c>delta.reasoning_content</c> string token, or empty: not translated, but metered.</summary>
    public ReadOnlySpan<byte> ReasoningContent { get; private init; }

    /// <summary>The chunk holds something the meter reads that this pass does not keep: the meter reads it whole.</summary>
    private bool MeterReadsAgain { get; init; }

    /// <summary>The first choice's <c>delta.tool_calls</c> array, or empty; read it with <see cref="ToolCalls"/>.</summary>
    public ReadOnlySpan<byte> ToolCallsJson { get; private init; }

    public ToolCallReader ToolCalls => new(ToolCallsJson);

    /// <summary>Reads a chunk and records it in <paramref name="meter"/>, as <see cref="ChunkInspector.Inspect"/>
    /// would have. A chunk that is not JSON is still given to the meter (which keeps what it can read of it) before
    /// the <see cref="InvalidDataException"/>.</summary>
    public static ChatStreamChunk Read(ReadOnlySpan<byte> json, string what, ChunkInspector meter)
    {
        ChatStreamChunk chunk;
        try
        {
            chunk = Read(json, what);
        }
        catch (InvalidDataException)
        {
            meter.Inspect(json);
            throw;
        }
        if (chunk.MeterReadsAgain)
        {
            meter.Inspect(json);
        }
        else
        {
            // At most one of the three holds text (else MeterReadsAgain).
            var text = IsNonEmpty(chunk.Content) ? chunk.Content : IsNonEmpty(chunk.Refusal) ? chunk.Refusal : chunk.ReasoningContent;
            var hadText = !chunk.Content.IsEmpty || !chunk.Refusal.IsEmpty || !chunk.ReasoningContent.IsEmpty;
            meter.Record(chunk.Usage, chunk.Error, text, hadText, chunk.ToolCallsJson);
        }
        return chunk;
    }

    /// <summary>Reads a chunk; <paramref name="what"/> names it in the <see cref="InvalidDataException"/> thrown for one
    /// that is not JSON or not an object.</summary>
    public static ChatStreamChunk Read(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read())
            {
                throw new InvalidDataException($"{what} is not valid JSON.");
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                reader.Read();
                throw new InvalidDataException($"{what} is not a JSON object.");
            }
            var chunk = ReadRoot(ref reader, json);
            // Nothing may follow the object (the reader throws for anything but whitespace).
            reader.Read();
            return chunk;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what} is not valid JSON.", e);
        }
    }

    private static ChatStreamChunk ReadRoot(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        bool hasChoice = false, again = false;
        var seen = 0; // bits: 1 choices, 2 usage, 4 error (a duplicate is read again by the meter)
        ReadOnlySpan<byte> usage = default, error = default, id = default, model = default, content = default, refusal = default,
            finish = default, calls = default, reasoning = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                again |= (seen & 1) != 0;
                seen |= 1;
                hasChoice = false;
                content = refusal = finish = calls = reasoning = default;
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (first && reader.TokenType == JsonTokenType.StartObject)
                    {
                        hasChoice = true;
                        again |= ReadChoice(ref reader, json, ref content, ref refusal, ref finish, ref calls, ref reasoning);
                    }
                    else
                    {
                        again = true;
                        reader.Skip();
                    }
                    first = false;
                }
                continue;
            }
            var name = reader.ValueTextEquals("usage"u8) ? 1 : reader.ValueTextEquals("error"u8) ? 2
                : reader.ValueTextEquals("id"u8) ? 3 : reader.ValueTextEquals("model"u8) ? 4 : 0;
            reader.Read();
            switch (name)
            {
                case 1:
                    again |= (seen & 2) != 0;
                    seen |= 2;
                    usage = Container(ref reader, json, JsonTokenType.StartObject);
                    break;
                case 2:
                    again |= (seen & 4) != 0;
                    seen |= 4;
                    error = Container(ref reader, json, JsonTokenType.StartObject);
                    break;
                case 3:
                    id = StringToken(ref reader, json);
                    break;
                case 4:
                    model = StringToken(ref reader, json);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        return new ChatStreamChunk
        {
            Error = error, Usage = usage, Id = id, Model = model, HasChoice = hasChoice,
            Content = content, Refusal = refusal, FinishReason = finish, ToolCallsJson = calls, ReasoningContent = reasoning,
            MeterReadsAgain = again,
        };
    }

    /// <summary>Reads the first choice; returns whether the meter must read the chunk again (see
    /// <see cref="ChunkInspector.Record"/>: it samples every string under <c>content</c>, <c>refusal</c>,
    /// <c>reasoning_content</c> or <c>arguments</c> in a <c>delta</c> or <c>message</c>, at any depth, in order).</summary>
    private static bool ReadChoice(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ref ReadOnlySpan<byte> content,
        ref ReadOnlySpan<byte> refusal, ref ReadOnlySpan<byte> finish, ref ReadOnlySpan<byte> calls, ref ReadOnlySpan<byte> reasoning)
    {
        var again = false;
        var deltas = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("finish_reason"u8))
            {
                reader.Read();
                finish = StringToken(ref reader, json);
                continue;
            }
            var isDelta = reader.ValueTextEquals("delta"u8);
            again |= reader.ValueTextEquals("message"u8);
            reader.Read();
            if (isDelta)
            {
                again |= ++deltas > 1;
            }
            if (!isDelta || reader.TokenType != JsonTokenType.StartObject)
            {
                if (isDelta)
                {
                    again |= reader.TokenType == JsonTokenType.StartArray;
                    content = refusal = calls = reasoning = default;
                }
                reader.Skip();
                continue;
            }
            content = refusal = calls = reasoning = default;
            var seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueTextEquals("content"u8) ? 1 : reader.ValueTextEquals("refusal"u8) ? 2
                    : reader.ValueTextEquals("tool_calls"u8) ? 3 : reader.ValueTextEquals("reasoning_content"u8) ? 4
                    : reader.ValueTextEquals("arguments"u8) ? 5 : 0;
                reader.Read();
                // A duplicate, a nested value under a metered name or any other container could hold text elsewhere.
                again |= name == 5 || (name != 0 && (seen & (1 << name)) != 0)
                    || (name != 3 && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray);
                seen |= 1 << name;
                switch (name)
                {
                    case 1:
                        content = StringToken(ref reader, json);
                        break;
                    case 2:
                        refusal = StringToken(ref reader, json);
                        break;
                    case 3:
                        again |= reader.TokenType == JsonTokenType.StartObject;
                        calls = Container(ref reader, json, JsonTokenType.StartArray);
                        break;
                    case 4:
                        reasoning = StringToken(ref reader, json);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            // The meter keeps text in document order: two fields with text (or text beside tool calls) it reads itself.
            var texts = (IsNonEmpty(content) ? 1 : 0) + (IsNonEmpty(refusal) ? 1 : 0) + (IsNonEmpty(reasoning) ? 1 : 0);
            again |= texts + (calls.IsEmpty ? 0 : 1) > 1;
        }
        return again;
    }

    /// <summary>The current string token, quotes included, or empty for any other token (skipped).</summary>
    private static ReadOnlySpan<byte> StringToken(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return default;
        }
        return json.Slice((int)reader.TokenStartIndex, reader.ValueSpan.Length + 2);
    }

    /// <summary>The current object or array's JSON when it is a <paramref name="start"/>, or empty (skipped either way).</summary>
    private static ReadOnlySpan<byte> Container(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> json, JsonTokenType start)
    {
        var from = (int)reader.TokenStartIndex;
        var matches = reader.TokenType == start;
        reader.Skip();
        return matches ? json[from..(int)reader.BytesConsumed] : default;
    }

    /// <summary>Whether a string token holds more than <c>""</c>.</summary>
    public static bool IsNonEmpty(ReadOnlySpan<byte> token) => token.Length > 2;

    /// <summary>A string token's value, as text (for ids and names, read once per item).</summary>
    public static string? Text(ReadOnlySpan<byte> token)
    {
        if (token.IsEmpty)
        {
            return null;
        }
        var reader = new Utf8JsonReader(token);
        reader.Read();
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException e)
        {
            throw NotText(e);
        }
    }

    /// <summary>Writes a string token's value as <paramref name="name"/>'s, exactly as writing the parsed
    /// <see cref="JsonElement"/> would: unescaped, then escaped by <paramref name="w"/>'s encoder.</summary>
    public static void WriteString(Utf8JsonWriter w, ReadOnlySpan<byte> name, ReadOnlySpan<byte> token)
    {
        var value = token[1..^1];
        if (value.IndexOf((byte)'\\') < 0)
        {
            w.WriteString(name, value);
            return;
        }
        byte[]? rented = null;
        var buffer = value.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(value.Length));
        try
        {
            w.WriteString(name, buffer[..Unescape(token, buffer)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Copies a string token's value, unescaped, into <paramref name="destination"/> (at least the token's
    /// length); returns the bytes written.</summary>
    public static int Unescape(ReadOnlySpan<byte> token, Span<byte> destination)
    {
        var reader = new Utf8JsonReader(token);
        reader.Read();
        try
        {
            return reader.CopyString(destination);
        }
        catch (InvalidOperationException e)
        {
            throw NotText(e);
        }
    }

    /// <summary>A string escape that is valid JSON but not text (a lone UTF-16 surrogate, <c>"\ud800"</c>) cannot be
    /// written as UTF-8: the stream is broken like one that is not JSON, so the flow records it (502) instead of an
    /// unexpected exception ending the request without its row.</summary>
    private static InvalidDataException NotText(InvalidOperationException e) =>
        new("An upstream stream chunk holds a string escape that is not text (a lone UTF-16 surrogate).", e);

    /// <summary>One piece of a streamed tool call, its tokens as slices of the chunk.</summary>
    public readonly ref struct ToolCallPiece
    {
        /// <summary>The piece is an object (others are ignored).</summary>
        public bool IsObject { get; init; }

        /// <summary>Its <c>index</c>, when an <see cref="int"/>.</summary>
        public int? Index { get; init; }

        /// <summary>The string tokens of <c>id</c>, <c>function.name</c> and <c>function.arguments</c>, or empty.</summary>
        public ReadOnlySpan<byte> Id { get; init; }

        public ReadOnlySpan<byte> Name { get; init; }

        public ReadOnlySpan<byte> Arguments { get; init; }
    }

    /// <summary>Reads the pieces of a <c>tool_calls</c> array, one at a time.</summary>
    public ref struct ToolCallReader(ReadOnlySpan<byte> json)
    {
        private readonly ReadOnlySpan<byte> _json = json;
        private Utf8JsonReader _reader = new(json);
        private bool _started;

        public bool MoveNext(out ToolCallPiece piece)
        {
            piece = default;
            if (_json.IsEmpty)
            {
                return false;
            }
            if (!_started)
            {
                _started = true;
                _reader.Read();
            }
            if (!_reader.Read() || _reader.TokenType == JsonTokenType.EndArray)
            {
                return false;
            }
            if (_reader.TokenType != JsonTokenType.StartObject)
            {
                _reader.Skip();
                return true;
            }
            int? index = null;
            ReadOnlySpan<byte> id = default, name = default, arguments = default;
            while (_reader.Read() && _reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = _reader.ValueTextEquals("index"u8) ? 1 : _reader.ValueTextEquals("id"u8) ? 2
                    : _reader.ValueTextEquals("function"u8) ? 3 : 0;
                _reader.Read();
                switch (property)
                {
                    case 1:
                        index = _reader.TokenType == JsonTokenType.Number && _reader.TryGetInt32(out var n) ? n : null;
                        _reader.Skip();
                        break;
                    case 2:
                        id = StringToken(ref _reader, _json);
                        break;
                    case 3:
                        name = arguments = default;
                        if (_reader.TokenType != JsonTokenType.StartObject)
                        {
                            _reader.Skip();
                            break;
                        }
                        while (_reader.Read() && _reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var field = _reader.ValueTextEquals("name"u8) ? 1 : _reader.ValueTextEquals("arguments"u8) ? 2 : 0;
                            _reader.Read();
                            if (field == 1)
                            {
                                name = StringToken(ref _reader, _json);
                            }
                            else if (field == 2)
                            {
                                arguments = StringToken(ref _reader, _json);
                            }
                            else
                            {
                                _reader.Skip();
                            }
                        }
                        break;
                    default:
                        _reader.Skip();
                        break;
                }
            }
            piece = new ToolCallPiece { IsObject = true, Index = index, Id = id, Name = name, Arguments = arguments };
            return true;
        }
    }
}
