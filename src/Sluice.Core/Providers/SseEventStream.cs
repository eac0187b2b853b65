using System.Buffers;
using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>
/// Reads server-sent events from an upstream body through one pooled buffer, for pass-through providers whose upstream
/// already speaks OpenAI's chunk format. Each event comes out twice, without copying: its data (<see cref="Current"/>,
/// several <c>data:</c> lines joined with <c>\n</c> as the format says) for the gateway to read usage from, and its
/// bytes exactly as the upstream framed them (<see cref="RawEvent"/>: <c>event:</c>, <c>id:</c>, <c>retry:</c>,
/// comments, every <c>data:</c> line, CRLF or LF, the blank line) for the relay to copy to the client unchanged.
/// Memory stays at the size of the largest single event, which is bounded, however long the stream runs.
/// </summary>
/// <remarks>
/// Hand-written rather than the in-box <c>SseParser</c>: that one hands out each event's data only, so the relay would
/// have to re-format every event, and parser and formatter together cost the relay 26 % more per stream in the same-run
/// benchmark (tests/Sluice.Benchmarks/results/latest.md). Lines end with LF or CRLF, as every chat API sends them;
/// a lone CR, which the format also allows, is not read as a line end.
/// </remarks>
internal sealed class SseEventStream(Stream source) : IChatEventStream
{
    /// <summary>A chat chunk is a few hundred bytes; the buffer doubles for a larger event. It is held for the whole
    /// stream, so it is most of what an open stream costs here: 16 KiB made 4,000 open streams hold 58 MiB of it
    /// (tests/load, docs/performance.md).</summary>
    private const int InitialBufferSize = 4 * 1024;

    /// <summary>An event larger than this is not a chat chunk; treat the upstream as broken rather than grow without bound.</summary>
    internal const int MaxEventSize = 8 * 1024 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private int _start;
    private int _end;
    private bool _eof;
    private PooledBufferWriter? _joined;

    public ReadOnlyMemory<byte> Current { get; private set; }

    public ReadOnlyMemory<byte> RawEvent { get; private set; }

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

    /// <summary>Parses one whole event (lines up to a blank line) from the buffer. Only <c>data:</c> fields are read;
    /// <c>event:</c>, <c>id:</c>, <c>retry:</c> and comments stay in the raw bytes. A block of only comments or other
    /// fields is not an event (the format dispatches none) and is skipped.</summary>
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
                var eventStart = _start;
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
                RawEvent = _buffer.AsMemory(eventStart, pos - eventStart);
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
                // An event split over several data lines is joined with '\n', as the SSE spec says.
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
