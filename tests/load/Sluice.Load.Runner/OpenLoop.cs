using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;

namespace Sluice.Load;

/// <summary>What one constant-rate run measured. Latency and TTFB count from each request's intended start, so a
/// stall anywhere (client, gateway, upstream) is charged to every request scheduled during it: no coordinated omission.
/// <see cref="Lag"/> is how late the client itself started requests (its own share of the noise).</summary>
internal sealed record OpenLoopResult(double Rate, TimeSpan Duration, long Sent, long Ok, long Errors, LatencyHistogram Latency,
    LatencyHistogram Ttfb, LatencyHistogram Lag)
{
    public double AchievedRate => Ok / Duration.TotalSeconds;
}

/// <summary>
/// The harness's open-loop load: requests started on a fixed schedule (one every 1/rate seconds), whether or not earlier
/// ones have been answered, as users arriving independently do. A dedicated thread sleeps until each start time
/// (nanosleep, about 60 µs late at most on an idle core) and starts the request there; completions run on the pool.
/// Connections are HTTP/1.1 keep-alive, as many as the requests in flight need (capped by <see cref="MaxInFlight"/>: past
/// it a request waits for a slot, its latency still counted from its intended start).
/// </summary>
internal sealed class OpenLoop : IDisposable
{
    public const int MaxInFlight = 2048;

    private readonly Uri _url;
    private readonly string _key;
    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
        ActivityHeadersPropagator = null,
    })
    { Timeout = TimeSpan.FromSeconds(30) };
    private readonly SemaphoreSlim _slots = new(MaxInFlight);

    public OpenLoop(Uri baseUrl, string key)
    {
        _url = new Uri(baseUrl, "v1/chat/completions");
        _key = key;
    }

    public async Task<OpenLoopResult> RunAsync(double rate, TimeSpan duration, byte[] body)
    {
        var latency = new LatencyHistogram();
        var ttfb = new LatencyHistogram();
        var lag = new LatencyHistogram();
        long ok = 0, errors = 0;
        var total = (long)(rate * duration.TotalSeconds);
        var pending = new Task[total];
        var interval = Stopwatch.Frequency / rate;
        var done = new TaskCompletionSource();
        var scheduler = new Thread(() =>
        {
            var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
            for (long i = 0; i < total; i++)
            {
                var intended = start + (long)(i * interval);
                SleepUntil(intended);
                lag.RecordBetween(intended, Stopwatch.GetTimestamp());
                pending[i] = SendAsync(intended, body, latency, ttfb, () => Interlocked.Increment(ref ok), () => Interlocked.Increment(ref errors));
            }
            done.SetResult();
        })
        { IsBackground = true, Name = "open-loop", Priority = ThreadPriority.AboveNormal };
        scheduler.Start();
        await done.Task;
        await Task.WhenAll(pending);
        return new OpenLoopResult(rate, duration, total, ok, errors, latency, ttfb, lag);
    }

    private async Task SendAsync(long intended, byte[] body, LatencyHistogram latency, LatencyHistogram ttfb, Action ok, Action error)
    {
        // Off the scheduler's thread at once: it must be back to sleeping before the next start time.
        await Task.Yield();
        await _slots.WaitAsync();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _key);
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await response.Content.ReadAsStreamAsync();
            var read = await stream.ReadAsync(buffer);
            ttfb.RecordBetween(intended, Stopwatch.GetTimestamp());
            while (read > 0)
            {
                read = await stream.ReadAsync(buffer);
            }
            latency.RecordBetween(intended, Stopwatch.GetTimestamp());
            if (response.IsSuccessStatusCode)
            {
                ok();
            }
            else
            {
                error();
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            latency.RecordBetween(intended, Stopwatch.GetTimestamp());
            error();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _slots.Release();
        }
    }

    /// <summary>Sleeps the calling thread until <paramref name="timestamp"/> (Stopwatch ticks, the same monotonic clock
    /// nanosleep measures). Thread.Sleep rounds to whole milliseconds, too coarse for 1,000 starts a second.</summary>
    internal static void SleepUntil(long timestamp)
    {
        while (true)
        {
            var remaining = timestamp - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }
            var microseconds = remaining * 1_000_000 / Stopwatch.Frequency;
            if (microseconds > 0)
            {
                _ = usleep((uint)Math.Min(microseconds, 100_000));
            }
        }
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int usleep(uint microseconds);

    public void Dispose()
    {
        _client.Dispose();
        _slots.Dispose();
    }
}
