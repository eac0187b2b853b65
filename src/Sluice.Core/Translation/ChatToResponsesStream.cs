using System.Buffers;
using System.Text.Json;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Translation;

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
public sealed class ChatToResponsesStream : IDisposable
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
    private JsonEncodedText _itemIdText;
    private int _callIndex = -1;
    private string _callId = "";
    private string _callName = "";

    private string? _finishReason;

    public ChatToResponsesStream(JsonElement request, ResponseIdentity identity, string model)
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
        // The two events carry the same response object: written once (into the open item's buffer, empty until the
        // first item), copied twice.
        var response = WriterFor(_open);
        WriteResponse(response, "in_progress", usage: null);
        response.Flush();
        WriteCopy(output, "response.created"u8, _open.WrittenSpan);
        WriteCopy(output, "response.in_progress"u8, _open.WrittenSpan);
        _open.Clear();

        void WriteCopy(IBufferWriter<byte> output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> response)
        {
            var w = BeginEvent(output, type);
            w.WritePropertyName("response"u8);
            w.WriteRawValue(response, skipInputValidation: true);
            EndEvent(output, w);
        }
    }

    /// <summary>Translates one chunk. Returns false for an in-band error chunk: the caller then ends the stream with
    /// <see cref="Fail"/>. Throws <see cref="InvalidDataException"/> for a chunk that is not JSON or an answer past
    /// <see cref="MaxOutputBytes"/>. With a <paramref name="meter"/>, the same read records the chunk's usage and text
    /// for the usage row.</summary>
    public bool Translate(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output, ChunkInspector? meter = null)
    {
        var read = meter is null ? ChatStreamChunk.Read(chunk, "An upstream stream chunk")
            : ChatStreamChunk.Read(chunk, "An upstream stream chunk", meter);
        if (read.HasError)
        {
            return false;
        }
        if (!read.Usage.IsEmpty)
        {
            // Once per stream: the usage chunk.
            var reader = new Utf8JsonReader(read.Usage);
            using var usage = JsonDocument.ParseValue(ref reader);
            Usage = ResponsesUsage.FromChat(usage.RootElement);
        }
        if (!read.HasChoice)
        {
            return true;
        }
        if (ChatStreamChunk.IsNonEmpty(read.Content))
        {
            TextDelta(output, ItemKind.Text, read.Content);
        }
        if (ChatStreamChunk.IsNonEmpty(read.Refusal))
        {
            TextDelta(output, ItemKind.Refusal, read.Refusal);
        }
        var calls = read.ToolCalls;
        while (calls.MoveNext(out var call))
        {
            CallDelta(output, call);
        }
        if (!read.FinishReason.IsEmpty)
        {
            _finishReason = ChatStreamChunk.Text(read.FinishReason);
        }
        return true;
    }

    /// <summary>Closes the open item and writes <c>response.completed</c> (or <c>response.incomplete</c>).</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        CloseItem(output);
        var reason = ChatToResponses.IncompleteReason(_finishReason);
        WriteResponseEvent(output, reason is null ? "response.completed"u8 : "response.incomplete"u8, reason is null ? "completed" : "incomplete",
            Usage, reason);
    }

    /// <summary>Writes <c>response.failed</c> with a fixed message (the upstream's error text may echo the prompt).</summary>
    public void Fail(IBufferWriter<byte> output)
    {
        WriteResponseEvent(output, "response.failed"u8, "failed", Usage, error: ("server_error", "The upstream provider failed while answering."));
    }

    /// <summary>A piece of text or refusal (a string token of the chunk).</summary>
    private void TextDelta(IBufferWriter<byte> output, ItemKind kind, ReadOnlySpan<byte> text)
    {
        ContentChunks++;
        if (_kind != kind)
        {
            CloseItem(output);
            OpenText(output, kind);
        }
        var from = _open.WrittenCount;
        Append(text);
        var w = BeginEvent(output, kind == ItemKind.Text ? "response.output_text.delta"u8 : "response.refusal.delta"u8);
        WritePartAddress(w);
        // The piece as just appended, unescaped: the writer escapes it as it would the parsed string.
        w.WriteString("delta"u8, _open.WrittenSpan[from..]);
        if (kind == ItemKind.Text)
        {
            w.WriteStartArray("logprobs"u8);
            w.WriteEndArray();
        }
        EndEvent(output, w);
    }

    private void CallDelta(IBufferWriter<byte> output, in ChatStreamChunk.ToolCallPiece call)
    {
        if (!call.IsObject)
        {
            return;
        }
        var index = call.Index ?? _callIndex;
        if (_kind != ItemKind.Call || index != _callIndex)
        {
            CloseItem(output);
            _kind = ItemKind.Call;
            _callIndex = index;
            _outputIndex++;
            SetItemId(_identity.ItemId("fc", _outputIndex));
            _callId = ChatStreamChunk.Text(call.Id) ?? "";
            _callName = ChatStreamChunk.Text(call.Name) ?? "";
            _open.Clear();
            var w = BeginEvent(output, "response.output_item.added"u8);
            w.WriteNumber("output_index"u8, _outputIndex);
            w.WritePropertyName("item"u8);
            WriteCall(w, "in_progress");
            EndEvent(output, w);
        }
        if (ChatStreamChunk.IsNonEmpty(call.Arguments))
        {
            ContentChunks++;
            var from = _open.WrittenCount;
            Append(call.Arguments);
            var w = BeginEvent(output, "response.function_call_arguments.delta"u8);
            w.WriteString("item_id"u8, _itemIdText);
            w.WriteNumber("output_index"u8, _outputIndex);
            w.WriteString("delta"u8, _open.WrittenSpan[from..]);
            EndEvent(output, w);
        }
    }

    private void SetItemId(string id)
    {
        _itemId = id;
        _itemIdText = JsonEncodedText.Encode(id, ResponseObject.WriterOptions.Encoder);
    }

    private void OpenText(IBufferWriter<byte> output, ItemKind kind)
    {
        _kind = kind;
        _outputIndex++;
        SetItemId(_identity.ItemId("msg", _outputIndex));
        _open.Clear();
        var w = BeginEvent(output, "response.output_item.added"u8);
        w.WriteNumber("output_index"u8, _outputIndex);
        w.WritePropertyName("item"u8);
        ChatToResponses.WriteMessageStart(w, _itemId, "in_progress");
        w.WriteEndArray();
        w.WriteEndObject();
        EndEvent(output, w);

        w = BeginEvent(output, "response.content_part.added"u8);
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
            w = BeginEvent(output, "response.function_call_arguments.done"u8);
            w.WriteString("item_id"u8, _itemIdText);
            w.WriteNumber("output_index"u8, _outputIndex);
            w.WriteString("name"u8, _callName);
            w.WriteString("arguments"u8, _open.WrittenSpan);
            EndEvent(output, w);
        }
        else
        {
            w = BeginEvent(output, _kind == ItemKind.Text ? "response.output_text.done"u8 : "response.refusal.done"u8);
            WritePartAddress(w);
            w.WriteString(_kind == ItemKind.Text ? "text"u8 : "refusal"u8, _open.WrittenSpan);
            if (_kind == ItemKind.Text)
            {
                w.WriteStartArray("logprobs"u8);
                w.WriteEndArray();
            }
            EndEvent(output, w);

            w = BeginEvent(output, "response.content_part.done"u8);
            WritePartAddress(w);
            w.WritePropertyName("part"u8);
            WritePart(w, empty: false);
            EndEvent(output, w);
        }

        // The finished item, once for its event and once kept for response.completed.
        var start = _finished.WrittenCount;
        var item = WriterFor(_finished);
        WriteItem(item);
        item.Flush();
        _finishedItems.Add(start.._finished.WrittenCount);
        CheckSize();
        w = BeginEvent(output, "response.output_item.done"u8);
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
        w.WriteString("item_id"u8, _itemIdText);
        w.WriteNumber("output_index"u8, _outputIndex);
        w.WriteNumber("content_index"u8, 0);
    }

    /// <summary>Appends a string token's value, unescaped, to the open item's text.</summary>
    private void Append(ReadOnlySpan<byte> token)
    {
        _open.Advance(ChatStreamChunk.Unescape(token, _open.GetSpan(token.Length)));
        CheckSize();
    }

    private void CheckSize()
    {
        if (_open.WrittenCount + _finished.WrittenCount > MaxOutputBytes)
        {
            throw new InvalidDataException("The upstream answer exceeded the gateway's limit for a translated response.");
        }
    }

    private void WriteResponseEvent(IBufferWriter<byte> output, ReadOnlySpan<byte> type, string status, ResponsesUsage? usage,
        string? incompleteReason = null, (string, string)? error = null)
    {
        var w = BeginEvent(output, type);
        w.WritePropertyName("response"u8);
        WriteResponse(w, status, usage, incompleteReason, error);
        EndEvent(output, w);
    }

    private void WriteResponse(Utf8JsonWriter w, string status, ResponsesUsage? usage, string? incompleteReason = null, (string, string)? error = null)
    {
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
    }

    /// <summary>Writes <c>event: {type}</c> and the start of the data line; returns the writer, inside the event's
    /// object after <c>type</c> and <c>sequence_number</c>.</summary>
    private Utf8JsonWriter BeginEvent(IBufferWriter<byte> output, ReadOnlySpan<byte> type)
    {
        Write(output, "event: "u8);
        Write(output, type);
        Write(output, "\ndata: "u8);
        var w = WriterFor(output);
        w.WriteStartObject();
        w.WriteString("type"u8, type);
        w.WriteNumber("sequence_number"u8, _sequence++);
        return w;
    }

    /// <summary>The one writer, writing to <paramref name="target"/> from its start.</summary>
    private Utf8JsonWriter WriterFor(IBufferWriter<byte> target)
    {
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(target, ResponseObject.WriterOptions);
        }
        else
        {
            _writer.Reset(target);
        }
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
