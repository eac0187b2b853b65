using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Providers;
using Sluice.Usage;

namespace Sluice.Proxy;

/// <summary>
/// Copies an upstream's answer to the client as it arrives, and reads what metering needs on the way:
/// the usage object, or enough of the text to estimate it. Nothing is buffered beyond one event or one read.
/// </summary>
internal static class ResponseRelay
{
    private const int CopyBufferSize = 16 * 1024;
    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;
    private static ReadOnlySpan<byte> Done => "data: [DONE]\n\n"u8;
    private static ReadOnlySpan<byte> Ping => ": ping\n\n"u8;

    /// <summary>Relays a <c>chat.completion</c> body; <paramref name="scanner"/> reads its usage on the way and
    /// <paramref name="observe"/> sees each piece (content capture).</summary>
    public static async Task RelayJsonAsync(HttpContext context, UpstreamResponse upstream, JsonUsageScanner scanner,
        Action<ReadOnlySpan<byte>>? observe, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = upstream.JsonLength;
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            int read;
            while ((read = await upstream.Json!.ReadAsync(buffer.AsMemory(0, CopyBufferSize), cancellationToken)) > 0)
            {
                scanner.Append(buffer.AsSpan(0, read));
                observe?.Invoke(buffer.AsSpan(0, read));
                await response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

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
