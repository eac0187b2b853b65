using System.Buffers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Providers;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Benchmarks.Alternatives;

// The pass-through relay written with the in-box System.Net.ServerSentEvents SseParser and SseFormatter: what the
// multi-line fix of issue 15 was first built with, kept here as the alternative StreamBenchmarks measures the
// hand-written parser and byte-copying relay against (results/latest.md says why the latter was kept). Not used by
// Sluice; it parses and writes every event correctly and is a drop-in for Sluice.Providers.SseEventStream and
// ResponseRelay.RelayEventsAsync.

/// <summary>Server-sent events read with <see cref="SseParser"/>, with the bytes read since the last whole event counted
/// to bound its buffers.</summary>
internal sealed class InBoxSseEventStream : IChatEventStream
{
    private const int MaxEventSize = 8 * 1024 * 1024;

    private readonly EventSizeLimit _source;
    private readonly PooledBufferWriter _data = new(1024);
    private IAsyncEnumerator<SseItem<int>>? _events;

    public InBoxSseEventStream(Stream source) => _source = new EventSizeLimit(source, MaxEventSize);

    public ReadOnlyMemory<byte> Current => _data.WrittenMemory;

    public string? EventType { get; private set; }

    public string? EventId { get; private set; }

    public TimeSpan? ReconnectionInterval { get; private set; }

    public bool Completed { get; private set; }

    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        if (Completed)
        {
            return false;
        }
        // The parser hands each event's data over as a span into its own buffers; it is copied once, into a buffer
        // this stream reuses, so Current stays valid until the next call.
        _events ??= SseParser.Create(_source, CopyData).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        if (!await _events.MoveNextAsync())
        {
            return false;
        }
        _source.EventEnded();
        if (_data.WrittenSpan.SequenceEqual("[DONE]"u8))
        {
            Completed = true;
            return false;
        }
        var item = _events.Current;
        // "message" is every event's type unless one is named; only a named one is passed on.
        EventType = item.EventType == SseParser.EventTypeDefault ? null : item.EventType;
        EventId = item.EventId;
        ReconnectionInterval = item.ReconnectionInterval;
        return true;
    }

    private int CopyData(string eventType, ReadOnlySpan<byte> data)
    {
        _data.Clear();
        _data.Write(data);
        return data.Length;
    }

    public async ValueTask DisposeAsync()
    {
        if (_events is not null)
        {
            await _events.DisposeAsync();
        }
        await _source.DisposeAsync();
        _data.Dispose();
    }

    /// <summary>
    /// The upstream body as the parser reads it, with two adjustments. Bytes read since the last whole event are
    /// counted, and past the limit the stream is broken (<see cref="InvalidDataException"/>): the parser's buffers grow
    /// to hold an event, so this is what bounds them. And the end of the body also ends its last line, so an upstream
    /// that closes right after <c>data: [DONE]</c>, without the blank line, still ends its stream whole; an event cut
    /// off mid-line is still dropped, as the format says.
    /// </summary>
    private sealed class EventSizeLimit(Stream inner, int limit) : Stream
    {
        private long _sinceEvent;
        private bool _ended;

        public void EventEnded() => _sinceEvent = 0;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_ended || buffer.IsEmpty)
            {
                return 0;
            }
            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                _ended = true;
                buffer.Span[0] = (byte)'\n';
                return 1;
            }
            _sinceEvent += read;
            if (_sinceEvent > limit)
            {
                throw new InvalidDataException("An upstream server-sent event exceeded the gateway's size limit.");
            }
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}

/// <summary>The relay, writing each event with <see cref="SseFormatter"/>.</summary>
internal static class InBoxRelay
{
    private static readonly ReadOnlyMemory<byte> Done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Ping = ": ping\n\n"u8.ToArray();

    /// <summary>
    /// Relays a stream event by event with the in-box <see cref="SseFormatter"/> (each event written, and so sent, on
    /// its own; data of several lines stays several <c>data:</c> lines; <c>event:</c>, <c>id:</c> and <c>retry:</c> go
    /// along), with an SSE comment as heartbeat while the upstream is silent. Usage-only chunks are dropped for clients
    /// that did not ask for usage (the gateway always asks). Returns whether the stream ended with <c>[DONE]</c>, which
    /// is then written after <paramref name="beforeEnd"/>.
    /// </summary>
    public static async Task<bool> RelayEventsAsync(HttpContext context, IChatEventStream events, ChunkInspector inspector,
        bool clientWantsUsage, TimeSpan heartbeat, TimeProvider time, Action onFirstEvent, Action<ReadOnlySpan<byte>>? observe,
        Func<Task>? beforeEnd, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellationToken);

        var body = response.Body;
        var relayed = Relayed(events, inspector, clientWantsUsage, heartbeat, time, onFirstEvent, body, cancellationToken);
        await SseFormatter.WriteAsync(relayed, observe is null ? body : new ObservedStream(body, observe),
            static (item, writer) => writer.Write(item.Data.Span), cancellationToken);
        if (!events.Completed)
        {
            return false;
        }
        observe?.Invoke(Done.Span);
        if (beforeEnd is not null)
        {
            await beforeEnd();
        }
        await body.WriteAsync(Done, cancellationToken);
        return true;
    }

    /// <summary>The events to write, read from the upstream as the formatter asks for them. While a read waits, the
    /// formatter waits too, so the heartbeat goes straight to the body: nothing else writes to it meanwhile.</summary>
    private static async IAsyncEnumerable<SseItem<ReadOnlyMemory<byte>>> Relayed(IChatEventStream events, ChunkInspector inspector,
        bool clientWantsUsage, TimeSpan heartbeat, TimeProvider time, Action onFirstEvent, Stream body,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var first = true;
        using var heartbeatCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? beat = null;
        try
        {
            while (true)
            {
                var move = events.MoveNextAsync(cancellationToken);
                bool hasNext;
                if (move.IsCompleted)
                {
                    hasNext = move.Result;
                }
                else
                {
                    // Waiting on the upstream: keep the connection visibly alive. One delay serves many reads.
                    var pending = move.AsTask();
                    while (true)
                    {
                        beat ??= Task.Delay(heartbeat, time, heartbeatCancel.Token);
                        if (await Task.WhenAny(pending, beat) == pending)
                        {
                            break;
                        }
                        beat = null;
                        await body.WriteAsync(Ping, cancellationToken);
                    }
                    hasNext = await pending;
                }
                if (!hasNext)
                {
                    yield break;
                }

                var data = events.Current;
                var usageOnly = inspector.Inspect(data.Span);
                if (first)
                {
                    first = false;
                    onFirstEvent();
                }
                if (usageOnly && !clientWantsUsage)
                {
                    continue;
                }
                yield return events is InBoxSseEventStream inBox
                    ? new SseItem<ReadOnlyMemory<byte>>(data, inBox.EventType) { EventId = inBox.EventId, ReconnectionInterval = inBox.ReconnectionInterval }
                    : new SseItem<ReadOnlyMemory<byte>>(data);
            }
        }
        finally
        {
            await heartbeatCancel.CancelAsync();
            if (beat is not null)
            {
                await beat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>The response body as the formatter writes to it, showing every byte to the content capture.</summary>
    private sealed class ObservedStream(Stream inner, Action<ReadOnlySpan<byte>> observe) : Stream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            observe(buffer.Span);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
