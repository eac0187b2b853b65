using System.Buffers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Providers;
using Sluice.Usage;

namespace Sluice.Proxy;

/// <summary>
/// Copies an upstream's answer to the client as it arrives, and reads what metering needs on the way:
/// the usage object, or enough of the text to estimate it. Nothing is buffered beyond one event or one read.
/// </summary>
/// <remarks>
/// Both relays can hold back the end of the answer: given <c>beforeEnd</c>, they relay everything but the end, await
/// it (the handler commits the usage row there), and only then write the end. A client therefore never holds a whole
/// answer whose row is not yet durable, even if the process dies in between. The end is the <c>[DONE]</c> event of a
/// stream, or the last <see cref="JsonTailBytes"/> bytes of a JSON body: with a known length the client is still
/// waiting for them, and without one the JSON's closing brace is among them.
/// </remarks>
internal static class ResponseRelay
{
    private const int CopyBufferSize = 16 * 1024;

    /// <summary>Bytes of a JSON body held back until <c>beforeEnd</c> has run: enough to include the closing brace
    /// after the trailing whitespace a server may add, and small enough that holding them costs nothing.</summary>
    internal const int JsonTailBytes = 16;

    private static readonly ReadOnlyMemory<byte> s_done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> s_ping = ": ping\n\n"u8.ToArray();

    /// <summary>Relays a <c>chat.completion</c> body; <paramref name="scanner"/> reads its usage on the way and
    /// <paramref name="observe"/> sees each piece (content capture), the held-back end included.</summary>
    public static async Task RelayJsonAsync(HttpContext context, UpstreamResponse upstream, JsonUsageScanner scanner,
        Action<ReadOnlySpan<byte>>? observe, Func<Task>? beforeEnd, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = upstream.JsonLength;
        var hold = beforeEnd is null ? 0 : JsonTailBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize + hold);
        try
        {
            // The held bytes sit at the start of the buffer; each read lands after them, then all but the last
            // `hold` bytes go out and those move back to the start.
            var held = 0;
            int read;
            while ((read = await upstream.Json!.ReadAsync(buffer.AsMemory(held, CopyBufferSize), cancellationToken)) > 0)
            {
                scanner.Append(buffer.AsSpan(held, read));
                observe?.Invoke(buffer.AsSpan(held, read));
                var total = held + read;
                var send = Math.Max(0, total - hold);
                if (send > 0)
                {
                    await response.Body.WriteAsync(buffer.AsMemory(0, send), cancellationToken);
                    buffer.AsSpan(send, total - send).CopyTo(buffer);
                }
                held = total - send;
            }
            if (beforeEnd is not null)
            {
                await beforeEnd();
                await response.Body.WriteAsync(buffer.AsMemory(0, held), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

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
        observe?.Invoke(s_done.Span);
        if (beforeEnd is not null)
        {
            await beforeEnd();
        }
        await body.WriteAsync(s_done, cancellationToken);
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
                        await body.WriteAsync(s_ping, cancellationToken);
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
                yield return new SseItem<ReadOnlyMemory<byte>>(data, events.EventType)
                {
                    EventId = events.EventId,
                    ReconnectionInterval = events.ReconnectionInterval,
                };
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
