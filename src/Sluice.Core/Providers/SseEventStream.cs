using System.Buffers;
using System.Net.ServerSentEvents;
using Sluice.Proxy;

namespace Sluice.Providers;

/// <summary>
/// Reads server-sent events from an upstream body with the in-box <see cref="SseParser"/>, for pass-through providers
/// whose upstream already speaks OpenAI's chunk format. Every form the format allows is read: data split over several
/// <c>data:</c> lines (joined with <c>\n</c>), <c>event:</c>, <c>id:</c> and <c>retry:</c> fields (kept, so the relay
/// passes them on), comments, and CR, LF or CRLF line ends. Memory stays at the size of the largest single event,
/// which is bounded, however long the stream runs.
/// </summary>
public sealed class SseEventStream : IChatEventStream
{
    /// <summary>An event larger than this is not a chat chunk; treat the upstream as broken rather than grow without bound.</summary>
    internal const int MaxEventSize = 8 * 1024 * 1024;

    private readonly EventSizeLimit _source;
    private readonly PooledBufferWriter _data = new(1024);
    private IAsyncEnumerator<SseItem<int>>? _events;

    public SseEventStream(Stream source) => _source = new EventSizeLimit(source, MaxEventSize);

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
