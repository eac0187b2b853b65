using System.Buffers;
using System.Text.Json;

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
/// reads it. Only the first choice is read (Sluice asks for one).
/// </remarks>
internal readonly ref struct ChatStreamChunk
{
    /// <summary>The chunk's <c>error</c> is an object: an in-band failure.</summary>
    public bool HasError { get; private init; }

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

    /// <summary>The first choice's <c>delta.tool_calls</c> array, or empty; read it with <see cref="ToolCalls"/>.</summary>
    public ReadOnlySpan<byte> ToolCallsJson { get; private init; }

    public ToolCallReader ToolCalls => new(ToolCallsJson);

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
        bool hasError = false, hasChoice = false;
        ReadOnlySpan<byte> usage = default, id = default, model = default, content = default, refusal = default, finish = default, calls = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                hasChoice = false;
                content = refusal = finish = calls = default;
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
                        ReadChoice(ref reader, json, ref content, ref refusal, ref finish, ref calls);
                    }
                    else
                    {
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
                    usage = Container(ref reader, json, JsonTokenType.StartObject);
                    break;
                case 2:
                    hasError = reader.TokenType == JsonTokenType.StartObject;
                    reader.Skip();
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
            HasError = hasError, Usage = usage, Id = id, Model = model, HasChoice = hasChoice,
            Content = content, Refusal = refusal, FinishReason = finish, ToolCallsJson = calls,
        };
    }

    private static void ReadChoice(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ref ReadOnlySpan<byte> content,
        ref ReadOnlySpan<byte> refusal, ref ReadOnlySpan<byte> finish, ref ReadOnlySpan<byte> calls)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("finish_reason"u8))
            {
                reader.Read();
                finish = StringToken(ref reader, json);
                continue;
            }
            var isDelta = reader.ValueTextEquals("delta"u8);
            reader.Read();
            if (!isDelta || reader.TokenType != JsonTokenType.StartObject)
            {
                if (isDelta)
                {
                    content = refusal = calls = default;
                }
                reader.Skip();
                continue;
            }
            content = refusal = calls = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueTextEquals("content"u8) ? 1 : reader.ValueTextEquals("refusal"u8) ? 2
                    : reader.ValueTextEquals("tool_calls"u8) ? 3 : 0;
                reader.Read();
                switch (name)
                {
                    case 1:
                        content = StringToken(ref reader, json);
                        break;
                    case 2:
                        refusal = StringToken(ref reader, json);
                        break;
                    case 3:
                        calls = Container(ref reader, json, JsonTokenType.StartArray);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
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
        return reader.GetString();
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
        return reader.CopyString(destination);
    }

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
