using System.Net.ServerSentEvents;
using System.Text.Json;
using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>
/// Translates an Anthropic Messages stream into OpenAI <c>chat.completion.chunk</c> events, one event at a time:
/// <c>message_start</c> → the role chunk; text blocks and <c>text_delta</c> → content chunks; <c>tool_use</c> blocks and
/// <c>input_json_delta</c> → <c>tool_calls</c> chunks (index, id and name first, then argument pieces);
/// <c>message_delta</c> → the chunk with <c>finish_reason</c>, then a usage chunk with <c>choices: []</c>;
/// <c>message_stop</c> → the end (<see cref="Completed"/>). <c>ping</c>, thinking and unknown events are skipped, as
/// Anthropic asks clients to do. An <c>error</c> event becomes OpenAI's in-band error chunk, the last; it, or a stream
/// that ends before <c>message_stop</c>, ends the stream without <see cref="Completed"/>.
/// </summary>
/// <remarks>
/// Events are parsed by <see cref="SseParser"/>; each chunk is written into one reused buffer, and the only state kept
/// across events is a few ids and counters: memory stays flat however long the answer runs.
/// </remarks>
internal sealed class AnthropicEventStream(Stream source, TimeProvider time) : IChatEventStream
{
    private readonly PooledBufferWriter _chunk = new(1024);
    private Utf8JsonWriter? _writer;
    private IAsyncEnumerator<SseItem<JsonDocument>>? _events;

    private string _id = "msg";
    private string _model = "";
    private long _created;
    private MessageUsage _usage;
    private bool _toolBlock;
    private int _toolIndex = -1;
    private bool _usagePending;
    private bool _ended;

    public ReadOnlyMemory<byte> Current => _chunk.WrittenMemory;

    public bool Completed { get; private set; }

    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        _chunk.Clear();
        if (_usagePending)
        {
            _usagePending = false;
            WriteUsageChunk();
            return true;
        }
        _events ??= SseParser.Create(source, Parse).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (!_ended && await _events.MoveNextAsync())
        {
            using var document = _events.Current.Data;
            if (Translate(document.RootElement, _events.Current.EventType))
            {
                return true;
            }
        }
        return false;
    }

    private static JsonDocument Parse(string eventType, ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        try
        {
            return JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("An upstream stream event is not valid JSON.", e);
        }
    }

    /// <summary>Handles one Anthropic event; returns whether it produced an OpenAI chunk.</summary>
    private bool Translate(JsonElement e, string eventType)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("An upstream stream event is not a JSON object.");
        }
        // Event and delta types are compared as raw bytes: a 50-delta answer would otherwise allocate 100 strings.
        var type = e.TryGetProperty("type"u8, out var typeValue) && typeValue.ValueKind == JsonValueKind.String ? typeValue : default;
        if (Is(type, eventType, "content_block_delta"u8))
        {
            var delta = e.TryGetProperty("delta"u8, out var d) ? d : default;
            var deltaType = delta.ValueKind == JsonValueKind.Object && delta.TryGetProperty("type"u8, out var dt) ? dt : default;
            if (Is(deltaType, null, "text_delta"u8) && delta.TryGetProperty("text"u8, out var text))
            {
                return WriteContent(text);
            }
            if (Is(deltaType, null, "input_json_delta"u8) && _toolBlock && delta.TryGetProperty("partial_json"u8, out var json)
                && json.ValueKind == JsonValueKind.String && !json.ValueEquals(""u8))
            {
                var w = StartToolCall();
                w.WriteStartObject("function"u8);
                w.WritePropertyName("arguments"u8);
                json.WriteTo(w);
                w.WriteEndObject();
                EndToolCall(w);
                return true;
            }
            // thinking_delta, signature_delta, citations_delta: not part of an OpenAI answer.
            return false;
        }
        if (Is(type, eventType, "message_start"u8))
        {
            var message = e.TryGetProperty("message"u8, out var m) ? m : default;
            _id = AnthropicProvider.Text(message, "id"u8) ?? _id;
            _model = AnthropicProvider.Text(message, "model"u8) ?? _model;
            _created = time.GetUtcNow().ToUnixTimeSeconds();
            if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("usage"u8, out var startUsage))
            {
                _usage = MessageUsage.From(startUsage, _usage);
            }
            var w = StartChoice();
            w.WriteString("role"u8, "assistant"u8);
            w.WriteString("content"u8, ""u8);
            EndChoice(w, finishReason: null);
            return true;
        }
        if (Is(type, eventType, "content_block_start"u8))
        {
            var block = e.TryGetProperty("content_block"u8, out var b) ? b : default;
            var blockType = block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type"u8, out var bt) ? bt : default;
            _toolBlock = Is(blockType, null, "tool_use"u8);
            if (_toolBlock)
            {
                _toolIndex++;
                var w = StartToolCall();
                w.WriteString("id"u8, AnthropicProvider.Text(block, "id"u8) ?? "");
                w.WriteString("type"u8, "function"u8);
                w.WriteStartObject("function"u8);
                w.WriteString("name"u8, AnthropicProvider.Text(block, "name"u8) ?? "");
                w.WriteString("arguments"u8, ""u8);
                w.WriteEndObject();
                EndToolCall(w);
                return true;
            }
            // A text block may open with text already in it (usually empty).
            return Is(blockType, null, "text"u8) && block.TryGetProperty("text"u8, out var opening) && WriteContent(opening);
        }
        if (Is(type, eventType, "content_block_stop"u8))
        {
            _toolBlock = false;
            return false;
        }
        if (Is(type, eventType, "message_delta"u8))
        {
            var stopReason = e.TryGetProperty("delta"u8, out var md) ? AnthropicProvider.Text(md, "stop_reason"u8) : null;
            if (e.TryGetProperty("usage"u8, out var deltaUsage))
            {
                // Counts here are cumulative: they replace, not add to, what message_start said.
                _usage = MessageUsage.From(deltaUsage, _usage);
            }
            EndChoice(StartChoice(), AnthropicProvider.FinishReason(stopReason));
            _usagePending = true;
            return true;
        }
        if (Is(type, eventType, "message_stop"u8))
        {
            Completed = true;
            _ended = true;
            return false;
        }
        if (Is(type, eventType, "error"u8))
        {
            // Overloaded or failed mid-answer: said as OpenAI says it (an error chunk, the stream's last), and never
            // Completed, so no client takes the answer for a whole one.
            _ended = true;
            WriteErrorChunk(e.TryGetProperty("error"u8, out var error) ? AnthropicProvider.Text(error, "type"u8) : null);
            return true;
        }
        // ping, and event types added after this translation was written.
        return false;
    }

    /// <summary>Whether the JSON <c>type</c> is <paramref name="expected"/>; without one, the SSE event name decides.</summary>
    private static bool Is(JsonElement type, string? eventType, ReadOnlySpan<byte> expected) =>
        type.ValueKind == JsonValueKind.String
            ? type.ValueEquals(expected)
            : eventType is not null && System.Text.Ascii.Equals(expected, eventType);

    private bool WriteContent(JsonElement text)
    {
        if (text.ValueKind != JsonValueKind.String || text.ValueEquals(""u8))
        {
            return false;
        }
        var w = StartChoice();
        w.WritePropertyName("content"u8);
        text.WriteTo(w);
        EndChoice(w, finishReason: null);
        return true;
    }

    /// <summary>Opens a chunk's <c>delta</c> with one <c>tool_calls</c> entry for the current tool; the caller writes the
    /// entry's fields, then <see cref="EndToolCall"/>.</summary>
    private Utf8JsonWriter StartToolCall()
    {
        var w = StartChoice();
        w.WriteStartArray("tool_calls"u8);
        w.WriteStartObject();
        w.WriteNumber("index"u8, _toolIndex);
        return w;
    }

    private static void EndToolCall(Utf8JsonWriter w)
    {
        w.WriteEndObject();
        w.WriteEndArray();
        EndChoice(w, finishReason: null);
    }

    /// <summary>Opens a chunk up to its <c>delta</c> object; the caller writes the delta, then <see cref="EndChoice"/>.</summary>
    /// <summary>OpenAI's in-band error chunk, <c>{"error":{"message","type","param","code"}}</c>, with the gateway's own
    /// message and Anthropic's error type as the code (a short word, or <c>api_error</c>).</summary>
    private void WriteErrorChunk(string? errorType)
    {
        var code = errorType is { Length: > 0 and <= 64 } && errorType.All(c => char.IsAsciiLetterLower(c) || c == '_') ? errorType : "api_error";
        using var w = new Utf8JsonWriter(_chunk, AnthropicProvider.WriterOptions);
        w.WriteStartObject();
        w.WriteStartObject("error"u8);
        w.WriteString("message"u8, "The upstream provider failed while answering."u8);
        w.WriteString("type"u8, "server_error"u8);
        w.WriteNull("param"u8);
        w.WriteString("code"u8, code);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private Utf8JsonWriter StartChoice()
    {
        var w = StartChunk();
        w.WriteStartArray("choices"u8);
        w.WriteStartObject();
        w.WriteNumber("index"u8, 0);
        w.WriteStartObject("delta"u8);
        return w;
    }

    private static void EndChoice(Utf8JsonWriter w, string? finishReason)
    {
        w.WriteEndObject();
        w.WriteNull("logprobs"u8);
        if (finishReason is null)
        {
            w.WriteNull("finish_reason"u8);
        }
        else
        {
            w.WriteString("finish_reason"u8, finishReason);
        }
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    private void WriteUsageChunk()
    {
        var w = StartChunk();
        w.WriteStartArray("choices"u8);
        w.WriteEndArray();
        _usage.WriteTo(w);
        w.WriteEndObject();
        w.Flush();
    }

    private Utf8JsonWriter StartChunk()
    {
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_chunk, AnthropicProvider.WriterOptions);
        }
        else
        {
            _writer.Reset(_chunk);
        }
        var w = _writer;
        w.WriteStartObject();
        w.WriteString("id"u8, _id);
        w.WriteString("object"u8, "chat.completion.chunk"u8);
        w.WriteNumber("created"u8, _created);
        w.WriteString("model"u8, _model);
        return w;
    }

    public async ValueTask DisposeAsync()
    {
        if (_events is not null)
        {
            await _events.DisposeAsync();
        }
        await source.DisposeAsync();
        _writer?.Dispose();
        _chunk.Dispose();
    }
}
