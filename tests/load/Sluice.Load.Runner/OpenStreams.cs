using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Sluice.Load;

/// <summary>The shape of the streams an open-streams run holds open: a model's, slow to start and slow to speak.</summary>
internal sealed record StreamShape(int Concurrent, int TtfbMs, int ChunkIntervalMs, int MinSeconds, int MaxSeconds)
{
    /// <summary>The shape: first token after 300 ms, a chunk every 30 ms (every 100 ms from 4,000 streams, so
    /// the client and the fake upstream on the same two cores are not the limit), 20–60 s long.</summary>
    public static StreamShape For(int concurrent) => new(concurrent, 300, concurrent >= 4000 ? 100 : 30, 20, 60);

    public byte[] Body(int seconds) => Encoding.UTF8.GetBytes(
        $$"""{"model":"load-model","stream":true,"max_tokens":{{seconds * 1000 / ChunkIntervalMs}},"x_ttfb_ms":{{TtfbMs}},"x_chunk_interval_ms":{{ChunkIntervalMs}},"messages":[{"role":"user","content":"Tell me a long story about gateways."}]}""");
}

/// <summary>One sample of the processes during an open-streams run.</summary>
internal readonly record struct StreamSample(double Seconds, int Open, long GatewayRssKiB, long GatewayTicks, long UpstreamTicks, long ClientTicks,
    long AzuriteTicks)
{
    /// <summary>The gateway's GC pauses so far (ms, from its probe) and its thread pool's threads and queued work items.</summary>
    public double GcPauseMs { get; init; }
    public double PoolThreads { get; init; }
    public double PoolQueue { get; init; }
}

/// <summary>What an open-streams run measured on one target.</summary>
internal sealed record OpenStreamsResult(Target Target, StreamShape Shape, TimeSpan Ramp, TimeSpan Window, long Started, long Completed,
    long Errors, LatencyHistogram Ttfb, LatencyHistogram Gaps, long BaselineRssKiB, long PeakRssKiB, List<StreamSample> Samples)
{
    /// <summary>The machine's 1-minute load average as the run ended.</summary>
    public double Load { get; init; } = LoadAverage.Now();

    /// <summary>Samples from the end of the ramp (every stream open) to the end of the window.</summary>
    public IEnumerable<StreamSample> Steady => Samples.Where(s => s.Seconds >= Ramp.TotalSeconds + 1);

    public double PerStreamKiB => (PeakRssKiB - BaselineRssKiB) / (double)Shape.Concurrent;

    public string Describe()
    {
        var (rampEnd, end) = RssDrift;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{Shape.Concurrent} streams via {Target}: started {Started}, completed {Completed}, errors {Errors}; TTFB p50 {Ttfb.PercentileMs(50):F2} p99 {Ttfb.PercentileMs(99):F2} ms; gap p50 {Gaps.PercentileMs(50):F2} p99 {Gaps.PercentileMs(99):F2} p99.9 {Gaps.PercentileMs(99.9):F2} max {Gaps.MaxMs:F1} ms; RSS {BaselineRssKiB / 1024} → peak {PeakRssKiB / 1024} MiB ({PerStreamKiB:F0} KiB/stream), {rampEnd / 1024} → {end / 1024} MiB; CPU gateway {CpuPercent(s => s.GatewayTicks):F0}% upstream {CpuPercent(s => s.UpstreamTicks):F0}% client {CpuPercent(s => s.ClientTicks):F0}% azurite {CpuPercent(s => s.AzuriteTicks):F0}%");
    }

    /// <summary>CPU of a process over the steady part, in percent of one core.</summary>
    public double CpuPercent(Func<StreamSample, long> ticks)
    {
        var steady = Steady.ToList();
        if (steady.Count < 2)
        {
            return double.NaN;
        }
        var seconds = steady[^1].Seconds - steady[0].Seconds;
        return (ticks(steady[^1]) - ticks(steady[0])) / ProcStats.TicksPerSecond / seconds * 100;
    }

    /// <summary>Share of the steady window the gateway spent stopped for GC, in %: every stream and every new request waits
    /// through a pause, so this is what a heap that grows with the open streams costs their latency.</summary>
    public double GcPausedPercent
    {
        get
        {
            var steady = Steady.ToList();
            return steady.Count < 2 ? double.NaN
                : (steady[^1].GcPauseMs - steady[0].GcPauseMs) / (steady[^1].Seconds - steady[0].Seconds) / 10;
        }
    }

    /// <summary>The most thread-pool threads and queued work items seen in the steady window: a pool that starves keeps
    /// work queued while it adds threads one by one.</summary>
    public (double Threads, double Queue) PoolMax => Steady.Any()
        ? (Steady.Max(s => s.PoolThreads), Steady.Max(s => s.PoolQueue))
        : (double.NaN, double.NaN);

    /// <summary>RSS when every stream had just opened and at the end of the window: flat when memory per stream does not
    /// grow with the stream's length.</summary>
    public (long AtRampEndKiB, long AtEndKiB) RssDrift
    {
        get
        {
            var steady = Steady.ToList();
            return steady.Count == 0 ? (0, 0) : (steady[0].GatewayRssKiB, steady[^1].GatewayRssKiB);
        }
    }
}

/// <summary>
/// Holds a number of concurrent streams open through one target: they open over a ramp (200 a second), each runs for a
/// random 20–60 s (seeded, the same sequence on every target), and each is followed at once by another until the window
/// ends, when the rest are cut. Measures each stream's time to first byte, every gap between two reads that carried
/// data (a chunk), and samples the gateway's memory and every process's CPU each second.
/// </summary>
internal static class OpenStreams
{
    public static async Task<OpenStreamsResult> RunAsync(Target target, Uri baseUrl, string key, StreamShape shape, TimeSpan window,
        ChildProcess? gateway, ChildProcess upstream, int azuritePid)
    {
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        var url = new Uri(baseUrl, "v1/chat/completions");
        var ttfb = new LatencyHistogram();
        var gaps = new LatencyHistogram();
        long started = 0, completed = 0, errors = 0;
        var open = 0;
        var ramp = TimeSpan.FromSeconds(Math.Max(1, shape.Concurrent / 200.0));
        using var stop = new CancellationTokenSource(ramp + window);

        var gatewayPid = gateway?.Pid ?? upstream.Pid;
        var baseline = ProcStats.Read(gatewayPid).RssKiB;
        ProcStats.ResetPeak(gatewayPid);
        var samples = new List<StreamSample>();
        var clock = Stopwatch.StartNew();
        var sampling = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            do
            {
                var probe = gateway?.Probe();
                samples.Add(new StreamSample(clock.Elapsed.TotalSeconds, Volatile.Read(ref open), ProcStats.Read(gatewayPid).RssKiB,
                    ProcStats.Read(gatewayPid).CpuTicks, ProcStats.Read(upstream.Pid).CpuTicks, ProcStats.Read(Environment.ProcessId).CpuTicks,
                    ProcStats.Read(azuritePid).CpuTicks)
                {
                    GcPauseMs = probe?.Value("gc.pause.total_ms") ?? 0,
                    PoolThreads = probe?.Value("dotnet.thread_pool.thread.count") ?? 0,
                    PoolQueue = probe?.Value("dotnet.thread_pool.queue.length") ?? 0,
                });
            }
            while (await timer.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested);
        });

        async Task WorkerAsync(int index)
        {
            var random = new Random(index);
            await Task.Delay(ramp * index / shape.Concurrent);
            var buffer = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var body = shape.Body(random.Next(shape.MinSeconds, shape.MaxSeconds + 1));
                    Interlocked.Increment(ref started);
                    Interlocked.Increment(ref open);
                    try
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                        var sent = Stopwatch.GetTimestamp();
                        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
                        await using var stream = await response.Content.ReadAsStreamAsync(stop.Token);
                        var read = await stream.ReadAsync(buffer, stop.Token);
                        var last = Stopwatch.GetTimestamp();
                        ttfb.RecordBetween(sent, last);
                        while (read > 0)
                        {
                            read = await stream.ReadAsync(buffer, stop.Token);
                            if (read > 0)
                            {
                                var now = Stopwatch.GetTimestamp();
                                gaps.RecordBetween(last, now);
                                last = now;
                            }
                        }
                        if (response.IsSuccessStatusCode)
                        {
                            Interlocked.Increment(ref completed);
                        }
                        else
                        {
                            Interlocked.Increment(ref errors);
                        }
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        // The window ended with this stream open: cut, neither completed nor an error.
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException)
                    {
                        Interlocked.Increment(ref errors);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref open);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, shape.Concurrent).Select(i => Task.Run(() => WorkerAsync(i))));
        await sampling;
        var peak = ProcStats.Read(gatewayPid).PeakRssKiB;
        return new OpenStreamsResult(target, shape, ramp, window, started, completed, errors, ttfb, gaps, baseline, peak, samples);
    }
}
