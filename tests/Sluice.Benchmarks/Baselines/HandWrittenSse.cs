using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Usage;

namespace Sluice.Benchmarks.Baselines;

// The hand-written SSE parser and writer the pass-through relay used before it moved to the in-box
// System.Net.ServerSentEvents SseParser and SseFormatter, kept unchanged (apart from names) as the baseline that
// decision was measured against in StreamBenchmarks. Not used by Sluice. Its writer drops every data line after the
// first (the bug the move fixed); the benchmark's stream has one data line per event, so both write the same bytes.

/// <summary>The former <c>Sluice.Providers.SseEventStream</c>.</summary>
internal sealed class HandWrittenSseEventStream(Stream source) : IChatEventStream
{
    private const int InitialBufferSize = 16 * 1024;

    /// <summary>An event larger than this is not a chat chunk; treat the upstream as broken rather than grow without bound.</summary>
    internal const int MaxEventSize = 8 * 1024 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private int _start;
    private int _end;
    private bool _eof;
    private PooledBufferWriter? _joined;

    public ReadOnlyMemory<byte> Current { get; private set; }

    public bool Completed { get; private set; }

    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            switch (TryParseEvent(_eof))
            {
                case ParseResult.Event:
                    return true;
                case ParseResult.Done:
                    Completed = true;
                    return false;
            }
            if (_eof || Completed)
            {
                return false;
            }
            MakeRoom();
            var read = await source.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                _eof = true;
            }
            _end += read;
        }
    }

    private void MakeRoom()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxEventSize)
            {
                throw new InvalidDataException("An upstream server-sent event exceeded the gateway's size limit.");
            }
            var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
    }

    private enum ParseResult { NeedMore, Event, Done }

    /// <summary>Parses one whole event (lines up to a blank line) from the buffer. Only <c>data:</c> fields matter
    /// to a chat stream; <c>event:</c>, <c>id:</c>, <c>retry:</c> and comments are skipped.</summary>
    private ParseResult TryParseEvent(bool atEnd)
    {
        var pos = _start;
        var dataStart = -1;
        var dataEnd = -1;
        var dataLines = 0;
        while (true)
        {
            var span = _buffer.AsSpan(pos, _end - pos);
            var newline = span.IndexOf((byte)'\n');
            int lineEnd;
            int next;
            if (newline >= 0)
            {
                lineEnd = pos + newline;
                next = lineEnd + 1;
            }
            else if (atEnd && span.Length > 0)
            {
                // The upstream closed mid-line: take what is there as the last line.
                lineEnd = _end;
                next = _end;
            }
            else if (atEnd && dataLines > 0)
            {
                // Closed without the final blank line: the pending event is still whole.
                lineEnd = pos;
                next = pos;
            }
            else
            {
                return ParseResult.NeedMore;
            }
            var lineStart = pos;
            if (lineEnd > lineStart && _buffer[lineEnd - 1] == (byte)'\r')
            {
                lineEnd--;
            }
            pos = next;

            if (lineEnd == lineStart)
            {
                _start = pos;
                if (dataLines == 0)
                {
                    if (pos >= _end)
                    {
                        return ParseResult.NeedMore;
                    }
                    continue;
                }
                Current = dataLines == 1 ? _buffer.AsMemory(dataStart, dataEnd - dataStart) : _joined!.WrittenMemory;
                return Current.Span.SequenceEqual("[DONE]"u8) ? ParseResult.Done : ParseResult.Event;
            }

            var line = _buffer.AsSpan(lineStart, lineEnd - lineStart);
            if (!line.StartsWith("data:"u8))
            {
                continue;
            }
            var valueStart = lineStart + 5;
            if (valueStart < lineEnd && _buffer[valueStart] == (byte)' ')
            {
                valueStart++;
            }
            if (dataLines == 0)
            {
                dataStart = valueStart;
                dataEnd = lineEnd;
            }
            else
            {
                // Rare: an event split over several data lines is joined with '\n', as the SSE spec says.
                _joined ??= new PooledBufferWriter(1024);
                if (dataLines == 1)
                {
                    _joined.Clear();
                    _joined.Write(_buffer.AsSpan(dataStart, dataEnd - dataStart));
                }
                _joined.Write("\n"u8);
                _joined.Write(_buffer.AsSpan(valueStart, lineEnd - valueStart));
            }
            dataLines++;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await source.DisposeAsync();
        _joined?.Dispose();
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}

/// <summary>The former <c>ResponseRelay.RelayEventsAsync</c>.</summary>
internal static class HandWrittenRelay
{
    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;
    private static ReadOnlySpan<byte> Done => "data: [DONE]\n\n"u8;
    private static ReadOnlySpan<byte> Ping => ": ping\n\n"u8;

    /// <summary>
    /// Relays a stream event by event, flushing each, with an SSE comment as heartbeat while the upstream is
    /// silent. Usage-only chunks are dropped for clients that did not ask for usage (the gateway always asks).
    /// Returns whether the stream ended with <c>[DONE]</c>.
    /// </summary>
    public static async Task<bool> RelayEventsAsync(HttpContext context, IChatEventStream events, ChunkInspector inspector,
        bool clientWantsUsage, TimeSpan heartbeat, TimeProvider time, Action onFirstEvent, Action<ReadOnlySpan<byte>>? observe,
        CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellationToken);

        var writer = response.BodyWriter;
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
                        writer.Write(Ping);
                        await writer.FlushAsync(cancellationToken);
                    }
                    hasNext = await pending;
                }
                if (!hasNext)
                {
                    break;
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
                writer.Write(DataPrefix);
                writer.Write(data.Span);
                writer.Write(EventEnd);
                if (observe is not null)
                {
                    observe(DataPrefix);
                    observe(data.Span);
                    observe(EventEnd);
                }
                await writer.FlushAsync(cancellationToken);
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

        if (events.Completed)
        {
            writer.Write(Done);
            observe?.Invoke(Done);
            await writer.FlushAsync(cancellationToken);
        }
        return events.Completed;
    }
}
