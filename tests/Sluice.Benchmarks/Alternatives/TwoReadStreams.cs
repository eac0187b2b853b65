// The stream translations as the chunk reader first left them: the translation read each chat chunk once and the
// usage meter (ChunkInspector.Inspect) read it again. Kept so SurfaceOverheadBenchmarks measures the single read
// that replaced it in the same run. Not used by Sluice; it writes the same bytes and meters the same row.
using System.Buffers;
using System.Text.Json;
using Sluice.Providers;
using Sluice.Surfaces;
using Sluice.Translation;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Benchmarks.Alternatives;

/// <summary>
/// A Chat Completions stream (<c>chat.completion.chunk</c> events from any provider) as an Anthropic Messages stream,
/// the reverse of <see cref="AnthropicEventStream"/>: the first chunk opens with <c>message_start</c>; content deltas
/// become a text block (<c>content_block_start</c>, <c>text_delta</c>s); each tool call a <c>tool_use</c> block whose
/// argument pieces are <c>input_json_delta</c>s; the hub's <c>[DONE]</c> closes the open block and ends with
/// <c>message_delta</c> (stop reason and usage) and <c>message_stop</c>. A hub stream that breaks off ends without
/// <c>message_stop</c> and without <see cref="Completed"/>, so the relay aborts the client's connection; one that
/// reports an error in the stream ends with Anthropic's <c>error</c> event, as an Anthropic stream would.
/// </summary>
/// <remarks>
/// Events are framed here (<c>event:</c> and <c>data:</c> lines) and handed out through <see cref="RawEvent"/>. One hub
/// chunk can give several events; they are written into one reused buffer. The hub's usage and text are read by
/// <see cref="Inspector"/> as they pass, for the usage row: memory stays flat however long the answer runs. The hub
/// stream is not disposed here: the answer that holds both releases it.
/// </remarks>
internal sealed class TwoReadChatToMessagesEventStream(IChatEventStream hub, ChunkInspector inspector, string fallbackModel) : IChatEventStream
{
    private readonly PooledBufferWriter _out = new(1024);
    private readonly List<(int Start, int Length, int DataStart, int DataLength)> _events = new(4);
    private Utf8JsonWriter? _writer;
    private int _next;
    private bool _started;
    private bool _ended;

    private Block _open;
    private int _blockIndex = -1;
    private int _toolIndex = -1;
    private string? _finishReason;

    private enum Block { None, Text, Tool }

    /// <summary>Reads the hub's usage and text as its chunks pass (the usage row's source).</summary>
    public ChunkInspector Inspector => inspector;

    public ReadOnlyMemory<byte> Current { get; private set; }

    public ReadOnlyMemory<byte> RawEvent { get; private set; }

    /// <summary>Whether the current event is <c>message_stop</c>, the end of the answer.</summary>
    public bool CurrentIsEnd => Completed && _next == _events.Count;

    public bool Completed { get; private set; }

    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        if (_next < _events.Count)
        {
            return Take();
        }
        _out.Clear();
        _events.Clear();
        _next = 0;
        while (!_ended)
        {
            if (!await hub.MoveNextAsync(cancellationToken))
            {
                _ended = true;
                if (hub.Completed)
                {
                    Finish();
                }
                break;
            }
            var data = hub.Current;
            Inspector.Inspect(data.Span);
            if (Inspector.Failure is not null)
            {
                Fail();
                break;
            }
            Translate(data);
            if (_events.Count > 0)
            {
                return Take();
            }
        }
        return _events.Count > 0 && Take();
    }

    private bool Take()
    {
        var (start, length, dataStart, dataLength) = _events[_next++];
        RawEvent = _out.WrittenMemory.Slice(start, length);
        Current = _out.WrittenMemory.Slice(dataStart, dataLength);
        return true;
    }

    private void Translate(ReadOnlyMemory<byte> data)
    {
        var chunk = ChatStreamChunk.Read(data.Span, "An upstream stream event");
        if (!_started)
        {
            _started = true;
            Start(ChatStreamChunk.Text(chunk.Id), ChatStreamChunk.Text(chunk.Model));
        }
        if (!chunk.HasChoice)
        {
            return;
        }
        if (ChatStreamChunk.IsNonEmpty(chunk.Content))
        {
            if (_open != Block.Text)
            {
                OpenBlock(Block.Text, default);
            }
            var w = StartEvent("content_block_delta"u8);
            w.WriteNumber("index"u8, _blockIndex);
            w.WriteStartObject("delta"u8);
            w.WriteString("type"u8, "text_delta"u8);
            ChatStreamChunk.WriteString(w, "text"u8, chunk.Content);
            w.WriteEndObject();
            EndEvent(w);
        }
        var calls = chunk.ToolCalls;
        while (calls.MoveNext(out var call))
        {
            ToolCall(call);
        }
        if (!chunk.FinishReason.IsEmpty)
        {
            _finishReason = ChatStreamChunk.Text(chunk.FinishReason);
        }
    }

    /// <summary>A tool call's first piece (with its id) opens a <c>tool_use</c> block; later pieces add arguments.</summary>
    private void ToolCall(in ChatStreamChunk.ToolCallPiece call)
    {
        if (!call.IsObject)
        {
            return;
        }
        var index = call.Index ?? _toolIndex;
        if (_open != Block.Tool || index != _toolIndex)
        {
            _toolIndex = index;
            OpenBlock(Block.Tool, call);
        }
        if (ChatStreamChunk.IsNonEmpty(call.Arguments))
        {
            var w = StartEvent("content_block_delta"u8);
            w.WriteNumber("index"u8, _blockIndex);
            w.WriteStartObject("delta"u8);
            w.WriteString("type"u8, "input_json_delta"u8);
            ChatStreamChunk.WriteString(w, "partial_json"u8, call.Arguments);
            w.WriteEndObject();
            EndEvent(w);
        }
    }

    /// <summary>Opens the message with the first chunk's <paramref name="id"/> and <paramref name="model"/>.</summary>
    private void Start(string? id, string? model)
    {
        var w = StartEvent("message_start"u8);
        w.WriteStartObject("message"u8);
        w.WriteString("id"u8, ChatToMessages.MessageId(id));
        w.WriteString("type"u8, "message"u8);
        w.WriteString("role"u8, "assistant"u8);
        w.WriteString("model"u8, model ?? fallbackModel);
        w.WriteStartArray("content"u8);
        w.WriteEndArray();
        w.WriteNull("stop_reason"u8);
        w.WriteNull("stop_sequence"u8);
        // The hub reports usage at the end only: the real counts come with message_delta.
        ChatToMessages.WriteUsage(w, default);
        w.WriteEndObject();
        EndEvent(w);
    }

    private void OpenBlock(Block kind, in ChatStreamChunk.ToolCallPiece call)
    {
        CloseBlock();
        _open = kind;
        _blockIndex++;
        var w = StartEvent("content_block_start"u8);
        w.WriteNumber("index"u8, _blockIndex);
        w.WriteStartObject("content_block"u8);
        if (kind == Block.Text)
        {
            w.WriteString("type"u8, "text"u8);
            w.WriteString("text"u8, ""u8);
        }
        else
        {
            w.WriteString("type"u8, "tool_use"u8);
            w.WriteString("id"u8, ChatStreamChunk.Text(call.Id) ?? "");
            w.WriteString("name"u8, ChatStreamChunk.Text(call.Name) ?? "");
            w.WriteStartObject("input"u8);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        EndEvent(w);
    }

    private void CloseBlock()
    {
        if (_open == Block.None)
        {
            return;
        }
        _open = Block.None;
        var w = StartEvent("content_block_stop"u8);
        w.WriteNumber("index"u8, _blockIndex);
        EndEvent(w);
    }

    /// <summary>The hub ended whole: close the open block, then <c>message_delta</c> and <c>message_stop</c>.</summary>
    private void Finish()
    {
        if (!_started)
        {
            Start(null, null);
        }
        CloseBlock();
        var w = StartEvent("message_delta"u8);
        w.WriteStartObject("delta"u8);
        w.WriteString("stop_reason"u8, ChatToMessages.StopReason(_finishReason));
        w.WriteNull("stop_sequence"u8);
        w.WriteEndObject();
        ChatToMessages.WriteUsage(w, Inspector.Usage ?? default);
        EndEvent(w);
        EndEvent(StartEvent("message_stop"u8));
        Completed = true;
    }

    /// <summary>The hub reported an error mid-answer: Anthropic's <c>error</c> event ends the stream, with the
    /// gateway's own message (as the Responses translation's <c>response.failed</c>).</summary>
    private void Fail()
    {
        _ended = true;
        var w = StartEvent("error"u8);
        w.WriteStartObject("error"u8);
        w.WriteString("type"u8, "api_error"u8);
        w.WriteString("message"u8, "The upstream provider failed while answering."u8);
        w.WriteEndObject();
        EndEvent(w);
        Completed = true;
    }

    /// <summary>Writes <c>event: {type}</c> and opens the data object with its <c>type</c>.</summary>
    private Utf8JsonWriter StartEvent(ReadOnlySpan<byte> type)
    {
        var start = _out.WrittenCount;
        _out.Write("event: "u8);
        _out.Write(type);
        _out.Write("\ndata: "u8);
        _events.Add((start, 0, _out.WrittenCount, 0));
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_out, AnthropicProvider.WriterOptions);
        }
        else
        {
            _writer.Reset(_out);
        }
        _writer.WriteStartObject();
        _writer.WriteString("type"u8, type);
        return _writer;
    }

    private void EndEvent(Utf8JsonWriter w)
    {
        w.WriteEndObject();
        w.Flush();
        var (start, _, dataStart, _) = _events[^1];
        var dataLength = _out.WrittenCount - dataStart;
        _out.Write("\n\n"u8);
        _events[^1] = (start, _out.WrittenCount - start, dataStart, dataLength);
    }

    /// <summary>Releases the translation's buffers; the hub stream is its owner's to release.</summary>
    public ValueTask DisposeAsync()
    {
        _writer?.Dispose();
        _out.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Chat chunks in, Responses events out: each chunk's events (often several: an item's done events and the next
/// item's added events) come out as one framed piece; after the hub's <c>[DONE]</c>, one last piece closes the open
/// item and carries <c>response.completed</c>, which the relay holds until the usage row commits (<see cref="AtEnd"/>).
/// </summary>
internal sealed class TwoReadTranslatedResponsesStream(IChatEventStream hub, ChatAnswerMeter meter, ChatToResponsesStream translator) : IChatEventStream
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
