// The Responses stream translation as issue 17 first built it, one JsonDocument per chat chunk and event names as
// strings: kept so SurfaceOverheadBenchmarks measures the Utf8JsonReader walk (ChatStreamChunk) that replaced it
// against it in the same run. Not used by Sluice; it writes the same bytes as Sluice.Translation.ChatToResponsesStream.
using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sluice.Providers;
using Sluice.Surfaces;
using Sluice.Translation;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Benchmarks.Alternatives;

/// <summary>
/// Turns a Chat Completions stream (<c>chat.completion.chunk</c> data, one at a time) into the Responses event
/// sequence, each event framed as server-sent events with its <c>event:</c> line and a <c>sequence_number</c>:
/// <c>response.created</c> and <c>response.in_progress</c> first; for text, <c>response.output_item.added</c>,
/// <c>response.content_part.added</c>, <c>response.output_text.delta</c>…, then <c>response.output_text.done</c>,
/// <c>response.content_part.done</c>, <c>response.output_item.done</c>; for each tool call, its
/// <c>function_call</c> item with <c>response.function_call_arguments.delta</c>… and <c>.done</c>; a refusal as a
/// <c>refusal</c> part; at the end <c>response.completed</c> (or <c>response.incomplete</c> after <c>length</c> /
/// <c>content_filter</c>) with the usage of the final chunk. An in-band <c>error</c> chunk ends it with
/// <c>response.failed</c>.
/// </summary>
/// <remarks>
/// Memory: the wire format itself makes the ends of items and of the response repeat what came before
/// (<c>output_text.done</c> carries the whole text, <c>output_item.done</c> the whole item, <c>response.completed</c>
/// every output item). So this holds exactly that: the text (or arguments) of the open item, and the JSON of the
/// finished items, for <c>response.completed</c>; plus a few ids and counters. Nothing else of the stream is kept,
/// and what is kept is capped at <see cref="MaxOutputBytes"/>: a longer answer fails as a broken stream rather than
/// growing without bound.
/// </remarks>
internal sealed class DocumentChatToResponsesStream : IDisposable
{
    /// <summary>The most output text and arguments held for the closing events (as an upstream's largest event).</summary>
    public const int MaxOutputBytes = 8 * 1024 * 1024;

    private enum ItemKind { None, Text, Refusal, Call }

    private readonly JsonElement _request;
    private readonly ResponseIdentity _identity;
    private readonly string _model;
    private readonly PooledBufferWriter _open = new(1024);
    private readonly PooledBufferWriter _finished = new(1024);
    private readonly List<Range> _finishedItems = [];
    private Utf8JsonWriter? _writer;
    private int _sequence;

    private ItemKind _kind;
    private int _outputIndex = -1;
    private string _itemId = "";
    private int _callIndex = -1;
    private string _callId = "";
    private string _callName = "";

    private string? _finishReason;

    public DocumentChatToResponsesStream(JsonElement request, ResponseIdentity identity, string model)
    {
        _request = request;
        _identity = identity;
        _model = model;
    }

    /// <summary>The usage of the final chunk, once it came.</summary>
    public ResponsesUsage? Usage { get; private set; }

    /// <summary>Chunks that carried text or arguments (for estimating usage the upstream never sent).</summary>
    public int ContentChunks { get; private set; }

    /// <summary>Writes <c>response.created</c> and <c>response.in_progress</c>.</summary>
    public void Start(IBufferWriter<byte> output)
    {
        WriteResponseEvent(output, "response.created", "in_progress", usage: null);
        WriteResponseEvent(output, "response.in_progress", "in_progress", usage: null);
    }

    /// <summary>Translates one chunk. Returns false for an in-band error chunk: the caller then ends the stream with
    /// <see cref="Fail"/>. Throws <see cref="InvalidDataException"/> for a chunk that is not JSON or an answer past
    /// <see cref="MaxOutputBytes"/>.</summary>
    public bool Translate(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(chunk);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("An upstream stream chunk is not valid JSON.", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("An upstream stream chunk is not a JSON object.");
            }
            if (root.TryGetProperty("error"u8, out var error) && error.ValueKind == JsonValueKind.Object)
            {
                return false;
            }
            if (root.TryGetProperty("usage"u8, out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                Usage = ResponsesUsage.FromChat(usage);
            }
            if (!root.TryGetProperty("choices"u8, out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                return true;
            }
            var choice = choices[0];
            if (choice.TryGetProperty("delta"u8, out var delta) && delta.ValueKind == JsonValueKind.Object)
            {
                if (delta.TryGetProperty("content"u8, out var content) && content.ValueKind == JsonValueKind.String && !content.ValueEquals(""u8))
                {
                    TextDelta(output, ItemKind.Text, content);
                }
                if (delta.TryGetProperty("refusal"u8, out var refusal) && refusal.ValueKind == JsonValueKind.String && !refusal.ValueEquals(""u8))
                {
                    TextDelta(output, ItemKind.Refusal, refusal);
                }
                if (delta.TryGetProperty("tool_calls"u8, out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        CallDelta(output, call);
                    }
                }
            }
            if (choice.TryGetProperty("finish_reason"u8, out var finish) && finish.ValueKind == JsonValueKind.String)
            {
                _finishReason = finish.GetString();
            }
            return true;
        }
    }

    /// <summary>Closes the open item and writes <c>response.completed</c> (or <c>response.incomplete</c>).</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        CloseItem(output);
        var reason = ChatToResponses.IncompleteReason(_finishReason);
        WriteResponseEvent(output, reason is null ? "response.completed" : "response.incomplete", reason is null ? "completed" : "incomplete",
            Usage, reason);
    }

    /// <summary>Writes <c>response.failed</c> with a fixed message (the upstream's error text may echo the prompt).</summary>
    public void Fail(IBufferWriter<byte> output)
    {
        WriteResponseEvent(output, "response.failed", "failed", Usage, error: ("server_error", "The upstream provider failed while answering."));
    }

    private void TextDelta(IBufferWriter<byte> output, ItemKind kind, JsonElement text)
    {
        ContentChunks++;
        if (_kind != kind)
        {
            CloseItem(output);
            OpenText(output, kind);
        }
        Append(text);
        var w = BeginEvent(output, kind == ItemKind.Text ? "response.output_text.delta" : "response.refusal.delta");
        WritePartAddress(w);
        w.WritePropertyName("delta"u8);
        text.WriteTo(w);
        if (kind == ItemKind.Text)
        {
            w.WriteStartArray("logprobs"u8);
            w.WriteEndArray();
        }
        EndEvent(output, w);
    }

    private void CallDelta(IBufferWriter<byte> output, JsonElement call)
    {
        if (call.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        var index = call.TryGetProperty("index"u8, out var i) && i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out var n) ? n : _callIndex;
        var function = call.TryGetProperty("function"u8, out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
        if (_kind != ItemKind.Call || index != _callIndex)
        {
            CloseItem(output);
            _kind = ItemKind.Call;
            _callIndex = index;
            _outputIndex++;
            _itemId = _identity.ItemId("fc", _outputIndex);
            _callId = call.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : "";
            _callName = function.ValueKind == JsonValueKind.Object && function.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String
                ? name.GetString()! : "";
            _open.Clear();
            var w = BeginEvent(output, "response.output_item.added");
            w.WriteNumber("output_index"u8, _outputIndex);
            w.WritePropertyName("item"u8);
            WriteCall(w, "in_progress");
            EndEvent(output, w);
        }
        if (function.ValueKind == JsonValueKind.Object && function.TryGetProperty("arguments"u8, out var arguments)
            && arguments.ValueKind == JsonValueKind.String && !arguments.ValueEquals(""u8))
        {
            ContentChunks++;
            Append(arguments);
            var w = BeginEvent(output, "response.function_call_arguments.delta");
            w.WriteString("item_id"u8, _itemId);
            w.WriteNumber("output_index"u8, _outputIndex);
            w.WritePropertyName("delta"u8);
            arguments.WriteTo(w);
            EndEvent(output, w);
        }
    }

    private void OpenText(IBufferWriter<byte> output, ItemKind kind)
    {
        _kind = kind;
        _outputIndex++;
        _itemId = _identity.ItemId("msg", _outputIndex);
        _open.Clear();
        var w = BeginEvent(output, "response.output_item.added");
        w.WriteNumber("output_index"u8, _outputIndex);
        w.WritePropertyName("item"u8);
        ChatToResponses.WriteMessageStart(w, _itemId, "in_progress");
        w.WriteEndArray();
        w.WriteEndObject();
        EndEvent(output, w);

        w = BeginEvent(output, "response.content_part.added");
        WritePartAddress(w);
        w.WritePropertyName("part"u8);
        WritePart(w, empty: true);
        EndEvent(output, w);
    }

    /// <summary>Writes the done events of the open item and keeps its final JSON for <c>response.completed</c>.</summary>
    private void CloseItem(IBufferWriter<byte> output)
    {
        if (_kind == ItemKind.None)
        {
            return;
        }
        Utf8JsonWriter w;
        if (_kind == ItemKind.Call)
        {
            w = BeginEvent(output, "response.function_call_arguments.done");
            w.WriteString("item_id"u8, _itemId);
            w.WriteNumber("output_index"u8, _outputIndex);
            w.WriteString("name"u8, _callName);
            w.WriteString("arguments"u8, _open.WrittenSpan);
            EndEvent(output, w);
        }
        else
        {
            w = BeginEvent(output, _kind == ItemKind.Text ? "response.output_text.done" : "response.refusal.done");
            WritePartAddress(w);
            w.WriteString(_kind == ItemKind.Text ? "text"u8 : "refusal"u8, _open.WrittenSpan);
            if (_kind == ItemKind.Text)
            {
                w.WriteStartArray("logprobs"u8);
                w.WriteEndArray();
            }
            EndEvent(output, w);

            w = BeginEvent(output, "response.content_part.done");
            WritePartAddress(w);
            w.WritePropertyName("part"u8);
            WritePart(w, empty: false);
            EndEvent(output, w);
        }

        // The finished item, once for its event and once kept for response.completed.
        var start = _finished.WrittenCount;
        using (var item = new Utf8JsonWriter(_finished, ResponseObject.WriterOptions))
        {
            WriteItem(item);
        }
        _finishedItems.Add(start.._finished.WrittenCount);
        CheckSize();
        w = BeginEvent(output, "response.output_item.done");
        w.WriteNumber("output_index"u8, _outputIndex);
        w.WritePropertyName("item"u8);
        w.WriteRawValue(_finished.WrittenSpan[_finishedItems[^1]], skipInputValidation: true);
        EndEvent(output, w);
        _kind = ItemKind.None;
        _open.Clear();
    }

    private void WriteItem(Utf8JsonWriter w)
    {
        if (_kind == ItemKind.Call)
        {
            WriteCall(w, "completed");
            return;
        }
        ChatToResponses.WriteMessageStart(w, _itemId, "completed");
        WritePart(w, empty: false);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private void WriteCall(Utf8JsonWriter w, string status)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, _itemId);
        w.WriteString("type"u8, "function_call"u8);
        w.WriteString("status"u8, status);
        w.WriteString("arguments"u8, status == "completed" ? _open.WrittenSpan : default);
        w.WriteString("call_id"u8, _callId);
        w.WriteString("name"u8, _callName);
        w.WriteEndObject();
    }

    private void WritePart(Utf8JsonWriter w, bool empty)
    {
        w.WriteStartObject();
        if (_kind == ItemKind.Refusal)
        {
            w.WriteString("type"u8, "refusal"u8);
            w.WriteString("refusal"u8, empty ? default : _open.WrittenSpan);
        }
        else
        {
            w.WriteString("type"u8, "output_text"u8);
            w.WriteStartArray("annotations"u8);
            w.WriteEndArray();
            w.WriteStartArray("logprobs"u8);
            w.WriteEndArray();
            w.WriteString("text"u8, empty ? default : _open.WrittenSpan);
        }
        w.WriteEndObject();
    }

    private void WritePartAddress(Utf8JsonWriter w)
    {
        w.WriteString("item_id"u8, _itemId);
        w.WriteNumber("output_index"u8, _outputIndex);
        w.WriteNumber("content_index"u8, 0);
    }

    /// <summary>Appends a string value, unescaped, to the open item's text.</summary>
    private void Append(JsonElement text)
    {
        var raw = JsonMarshal.GetRawUtf8Value(text);
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        var length = reader.CopyString(_open.GetSpan(reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length));
        _open.Advance(length);
        CheckSize();
    }

    private void CheckSize()
    {
        if (_open.WrittenCount + _finished.WrittenCount > MaxOutputBytes)
        {
            throw new InvalidDataException("The upstream answer exceeded the gateway's limit for a translated response.");
        }
    }

    private void WriteResponseEvent(IBufferWriter<byte> output, string type, string status, ResponsesUsage? usage,
        string? incompleteReason = null, (string, string)? error = null)
    {
        var w = BeginEvent(output, type);
        w.WritePropertyName("response"u8);
        ResponseObject.Write(w, _request, _identity, _model, status, w =>
        {
            if (status == "in_progress")
            {
                return;
            }
            foreach (var item in _finishedItems)
            {
                w.WriteRawValue(_finished.WrittenSpan[item], skipInputValidation: true);
            }
        }, usage, incompleteReason, error);
        EndEvent(output, w);
    }

    /// <summary>Writes <c>event: {type}</c> and the start of the data line; returns the writer, inside the event's
    /// object after <c>type</c> and <c>sequence_number</c>.</summary>
    private Utf8JsonWriter BeginEvent(IBufferWriter<byte> output, string type)
    {
        Write(output, "event: "u8);
        var written = System.Text.Encoding.UTF8.GetBytes(type, output.GetSpan(type.Length * 3));
        output.Advance(written);
        Write(output, "\ndata: "u8);
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(output, ResponseObject.WriterOptions);
        }
        else
        {
            _writer.Reset(output);
        }
        _writer.WriteStartObject();
        _writer.WriteString("type"u8, type);
        _writer.WriteNumber("sequence_number"u8, _sequence++);
        return _writer;
    }

    private static void EndEvent(IBufferWriter<byte> output, Utf8JsonWriter w)
    {
        w.WriteEndObject();
        w.Flush();
        Write(output, "\n\n"u8);
    }

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _open.Dispose();
        _finished.Dispose();
    }
}

/// <summary>
/// Sluice.Responses.TranslatedResponsesStream over <see cref="DocumentChatToResponsesStream"/>. Chat chunks in, Responses events out: each chunk's events (often several: an item's done events and the next
/// item's added events) come out as one framed piece; after the hub's <c>[DONE]</c>, one last piece closes the open
/// item and carries <c>response.completed</c>, which the relay holds until the usage row commits (<see cref="AtEnd"/>).
/// </summary>
internal sealed class DocumentTranslatedResponsesStream(IChatEventStream hub, ChatAnswerMeter meter, DocumentChatToResponsesStream translator) : IChatEventStream
{
    private readonly PooledBufferWriter _frame = new(4096);
    private bool _started;
    private bool _done;

    /// <summary>The current piece is the stream's last (response.completed, .incomplete or .failed).</summary>
    public bool AtEnd { get; private set; }

    public bool Completed { get; private set; }

    public ReadOnlyMemory<byte> Current => _frame.WrittenMemory;

    public ReadOnlyMemory<byte> RawEvent => _frame.WrittenMemory;

    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        _frame.Clear();
        if (_done)
        {
            return false;
        }
        if (!_started)
        {
            _started = true;
            translator.Start(_frame);
            return true;
        }
        while (await hub.MoveNextAsync(cancellationToken))
        {
            var chunk = hub.Current.Span;
            meter.Inspector.Inspect(chunk);
            if (!translator.Translate(chunk, _frame))
            {
                // An in-band error chunk: an honest response.failed ends the stream.
                translator.Fail(_frame);
                return End();
            }
            if (_frame.WrittenCount > 0)
            {
                return true;
            }
        }
        if (!hub.Completed)
        {
            return false;
        }
        translator.Complete(_frame);
        return End();
    }

    private bool End()
    {
        _done = true;
        AtEnd = true;
        Completed = true;
        return true;
    }

    public ValueTask DisposeAsync()
    {
        translator.Dispose();
        _frame.Dispose();
        return ValueTask.CompletedTask;
    }
}
