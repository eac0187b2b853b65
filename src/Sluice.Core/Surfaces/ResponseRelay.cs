using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Providers;
using Sluice.Surfaces;
using Sluice.Wire;

namespace Sluice.Surfaces;

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

    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;
    /// <summary>Chat Completions' end of stream.</summary>
    internal static ReadOnlyMemory<byte> Done { get; } = "data: [DONE]\n\n"u8.ToArray();
    private static ReadOnlySpan<byte> Ping => ": ping\n\n"u8;

    /// <summary>Relays a JSON body; <paramref name="meter"/> reads its usage on the way and
    /// <paramref name="observe"/> sees each piece (content capture), the held-back end included.</summary>
    public static async Task RelayJsonAsync(HttpContext context, UpstreamResponse upstream, IAnswerMeter meter,
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
                meter.Append(buffer.AsSpan(held, read));
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
    /// Relays a stream event by event, flushing each, with an SSE comment as heartbeat while the upstream is silent. A
    /// pass-through upstream's events are copied as it framed them (data over several lines, <c>event:</c>, <c>id:</c>
    /// and all); events the gateway translated or made are framed here, one <c>data:</c> line of JSON each. Usage-only
    /// chunks are dropped for clients that did not ask for usage (the gateway always asks). Returns whether the stream
    /// ended whole: with its end marker (<c>[DONE]</c>, given as <paramref name="streamEnd"/>, written after
    /// <paramref name="beforeEnd"/>), or with an event the meter calls <see cref="AnswerEvent.End"/> or
    /// <see cref="AnswerEvent.Failed"/> (written after <paramref name="beforeEnd"/> too).
    /// </summary>
    public static async Task<bool> RelayEventsAsync(HttpContext context, IChatEventStream events, IAnswerMeter meter,
        bool clientWantsUsage, ReadOnlyMemory<byte> streamEnd, TimeSpan heartbeat, TimeProvider time, Action onFirstEvent,
        Action<ReadOnlySpan<byte>>? observe, Func<Task>? beforeEnd, CancellationToken cancellationToken)
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
                var kind = meter.Inspect(data.Span);
                if (first)
                {
                    first = false;
                    onFirstEvent();
                }
                if (kind == AnswerEvent.UsageOnly && !clientWantsUsage)
                {
                    continue;
                }
                var raw = events.RawEvent;
                // Observed before the held end runs: the stored copy (written there) includes the last event.
                if (!raw.IsEmpty)
                {
                    observe?.Invoke(raw.Span);
                }
                else if (observe is not null)
                {
                    observe(DataPrefix);
                    observe(data.Span);
                    observe(EventEnd);
                }
                var last = kind is AnswerEvent.End or AnswerEvent.Failed;
                if (last && beforeEnd is not null)
                {
                    await beforeEnd();
                    beforeEnd = null;
                }
                if (!raw.IsEmpty)
                {
                    writer.Write(raw.Span);
                }
                else
                {
                    // The gateway's own JSON is written without indentation: one line, whatever its text holds.
                    writer.Write(DataPrefix);
                    writer.Write(data.Span);
                    writer.Write(EventEnd);
                }
                await writer.FlushAsync(cancellationToken);
                if (last)
                {
                    return true;
                }
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

        if (!events.Completed)
        {
            return false;
        }
        observe?.Invoke(streamEnd.Span);
        if (beforeEnd is not null)
        {
            await beforeEnd();
        }
        writer.Write(streamEnd.Span);
        await writer.FlushAsync(cancellationToken);
        return true;
    }
}
