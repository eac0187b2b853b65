using System.Globalization;
using System.Text;

namespace Sluice.Load;

/// <summary>A build of the local host with settings: one side of a peak-RSS A/B.</summary>
internal sealed record RssVariant(string Label, string Dll, IReadOnlyDictionary<string, string> Settings);

/// <summary>What one fresh process held and spent for the fixed work: peak RSS after the closed-loop part and after the
/// open-loop part (VmHWM, never reset), what the peak was made of, and the runtime's own counters over the work.</summary>
internal sealed record RssRound(int Round, string Variant, double IdleMiB, double ClosedPeakMiB, double PeakMiB, RssKinds PeakKinds,
    double Gen0, double Gen1, double Gen2, double GcPauseMs, double AllocatedKiBPerRequest, double CpuMsPerRequest, double HeapCommittedMiB,
    double JitMethods, double JitIlKiB, long Requests, long Errors, bool TokenizerLoaded)
{
    /// <summary>After the work and <see cref="PeakRssRun.Idle"/> without requests: what the process kept. RSS, the GC's
    /// committed memory, the heap's size after its last GC, and its pinned heap (where Kestrel's memory pool keeps its
    /// blocks; the pool evicts idle blocks every 10 s since .NET 10) at the end of the work and after the idle time.</summary>
    /// <summary>CPU per request over the open-loop part alone: after the closed loop, with tiered compilation mostly
    /// settled, so closer to a long-lived process's cost than <see cref="CpuMsPerRequest"/> (which includes the JIT's
    /// start-up work).</summary>
    public double OpenLoopCpuMsPerRequest { get; init; }

    /// <summary>The most usage rows queued at once (storage behind) and the requests that waited for room in the queue.</summary>
    public (double MaxQueued, double Waits) Queue { get; init; }

    public (double RssMiB, double CommittedMiB, double HeapMiB, double PinnedMiB, double PinnedAtEndMiB) Kept { get; init; }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"round {Round} {Variant,-34} idle {IdleMiB,4:F0}  closed {ClosedPeakMiB,4:F0}  peak {PeakMiB,4:F0} MiB (anon {PeakKinds.AnonKiB / 1024.0:F0}, file {PeakKinds.FileKiB / 1024.0:F0}, shmem {PeakKinds.ShmemKiB / 1024.0:F0})  " +
        $"GCs {Gen0:F0}/{Gen1:F0}/{Gen2:F0}  pauses {GcPauseMs:F0} ms  alloc {AllocatedKiBPerRequest:F1} KiB/req  cpu {CpuMsPerRequest:F3} ms/req (open loop {OpenLoopCpuMsPerRequest:F3})  committed {HeapCommittedMiB:F0} MiB  " +
        $"jit {JitMethods:F0} methods, {JitIlKiB:F0} KiB IL  errors {Errors}  rows queued at most {Queue.MaxQueued:F0}, {Queue.Waits:F0} waits  tokenizer {(TokenizerLoaded ? "loaded" : "not loaded")}  " +
        $"kept after idle: RSS {Kept.RssMiB:F0}, committed {Kept.CommittedMiB:F0}, heap {Kept.HeapMiB:F0}, pinned heap {Kept.PinnedAtEndMiB:F1} → {Kept.PinnedMiB:F1} MiB");
}

/// <summary>
/// Peak RSS A/B (<c>--peak-rss</c>): each variant (this build, <c>--sluice-env</c> settings on it, other builds given with
/// <c>--rss-builds</c>, e.g. a ReadyToRun publish) serves the same fixed work in a fresh process, every round, the order
/// rotated per round so every variant meets the same load on the machine. The work is the load run's in small: JSON
/// answers and 24-chunk streams at 32 connections (closed loop), then the open-loop rate runs (JSON, then streams),
/// whose stalls pile requests up as the full run's do. VmHWM is read after each part; the probe's counters give GCs,
/// bytes allocated and JIT work for the same requests, so a setting that buys memory with CPU shows it.
/// </summary>
internal static class PeakRssRun
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A variant's setting read by the harness, not the host: how many streams to cut off in its work.</summary>
    public const string CutOffsSetting = "SLUICE_LOAD_CUTOFFS";

    /// <summary>How long each process stays idle after its work before what it kept is read (Kestrel's pool evicts
    /// every 10 s).</summary>
    public static readonly TimeSpan Idle = TimeSpan.FromSeconds(12);

    public static async Task<string> RunAsync(RunOptions options)
    {
        var started = DateTime.UtcNow;
        var loadBefore = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
        await using var stack = await LoadStack.StartAsync(options.UpstreamArgs);
        var (_, key) = await stack.CreateAccountAsync("peak-rss");
        var variants = new List<RssVariant> { new("A: this build", options.CompareA ?? stack.ThisBuild, new Dictionary<string, string>()) };
        variants.AddRange(options.RssBuilds.Select((dll, i) => new RssVariant($"B{i + 1}: {Path.GetFileName(Path.GetDirectoryName(dll))}", dll,
            new Dictionary<string, string>())));
        variants.AddRange(options.SluiceVariants.Select((settings, i) => new RssVariant($"E{i + 1}: " + string.Join(", ", settings.Select(kv => $"{kv.Key}={kv.Value}")),
            options.CompareA ?? stack.ThisBuild, settings)));

        var rounds = new List<RssRound>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            for (var v = 0; v < variants.Count; v++)
            {
                var variant = variants[(v + round - 1) % variants.Count];
                var result = await OneAsync(stack, key, variant, round, options);
                rounds.Add(result);
                Console.WriteLine(result.Describe());
            }
        }
        var loadAfter = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
        return Report(options, variants, rounds, started, loadBefore, loadAfter);
    }

    private static async Task<RssRound> OneAsync(LoadStack stack, string key, RssVariant variant, int round, RunOptions options)
    {
        var (process, url) = await stack.StartBuildAsync($"peak-rss-{round}", variant.Dll, variant.Settings);
        await using var _ = process;
        await Task.Delay(1000);
        var idle = process.Stats().RssKiB / 1024.0;
        var probeBefore = process.Probe();
        var before = process.Stats();
        var sampler = RssSampler.Start(process.Pid, process.ProbeFile);
        long requests = 0, errors = 0;
        using (var client = new LoadClient(url, key))
        {
            var plain = LoadClient.Body(stream: false, chunks: 24);
            var streamed = LoadClient.Body(stream: true, chunks: 24);
            foreach (var (count, body) in new[] { (options.RssJson, plain), (options.RssStreams, streamed) })
            {
                var samples = await client.RunAsync(count, 32, _ => body);
                requests += samples.Length;
                errors += samples.Count(s => s.Status != 200);
            }
        }
        // A variant may set its own number of cut-off streams (SLUICE_LOAD_CUTOFFS=0: the same build without them), so the
        // share of the peak that the token estimator's vocabulary takes is measured within one run.
        var cutOffs = variant.Settings.TryGetValue(CutOffsSetting, out var own) ? int.Parse(own, Inv) : options.RssCutOffs;
        if (cutOffs > 0)
        {
            // What wrk does at the end of every closed-loop run of the full report: streams cut off by their client. Their
            // rows are estimated, which loads the token estimator's vocabulary.
            await CutOffStreamsAsync(url, key, cutOffs);
            requests += cutOffs;
        }
        var closedPeak = process.Stats().PeakRssKiB / 1024.0;
        var openStart = process.Stats().CpuTicks;
        long openRequests = 0;
        using (var open = new OpenLoop(url, key))
        {
            foreach (var stream in new[] { false, true })
            {
                foreach (var rate in options.Rates)
                {
                    var result = await open.RunAsync(rate, options.RateDuration, LoadClient.Body(stream, chunks: 24));
                    requests += result.Sent;
                    openRequests += result.Sent;
                    errors += result.Errors;
                }
            }
        }
        await sampler.DisposeAsync();
        await Task.Delay(300);
        var after = process.Stats();
        var probe = process.Probe();
        double Since(string name) => probe.Since(probeBefore, name);
        var measured = new RssRound(round, variant.Label, idle, closedPeak, after.PeakRssKiB / 1024.0, sampler.Peak,
            Since("dotnet.gc.collections.gen0"), Since("dotnet.gc.collections.gen1"), Since("dotnet.gc.collections.gen2"), Since("gc.pause.total_ms"),
            Since("dotnet.gc.heap.total_allocated") / 1024.0 / Math.Max(1, requests),
            (after.CpuTicks - before.CpuTicks) * 1000 / ProcStats.TicksPerSecond / Math.Max(1, requests),
            probe.Value("dotnet.gc.last_collection.memory.committed_size") / 1024 / 1024,
            probe.Value("dotnet.jit.compiled_methods"), probe.Value("dotnet.jit.compiled_il.size") / 1024, requests, errors,
            probe.Value("tokenizer.loaded") > 0);
        await Task.Delay(Idle);
        var kept = process.Probe();
        measured = measured with
        {
            Queue = (sampler.MaxQueued, Since("sluice.usage.queue.waits")),
            OpenLoopCpuMsPerRequest = (after.CpuTicks - openStart) * 1000 / ProcStats.TicksPerSecond / Math.Max(1, openRequests),
            Kept = (process.Stats().RssKiB / 1024.0, kept.Value("dotnet.gc.last_collection.memory.committed_size") / 1024 / 1024,
                new[] { "gen0", "gen1", "gen2", "loh", "poh" }.Sum(g => kept.Value("dotnet.gc.last_collection.heap.size." + g)) / 1024 / 1024,
                kept.Value("dotnet.gc.last_collection.heap.size.poh") / 1024 / 1024, probe.Value("dotnet.gc.last_collection.heap.size.poh") / 1024 / 1024),
        };
        // Stopped gracefully, as a service manager would: its queued rows commit before the next variant starts.
        process.Terminate();
        await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return measured;
    }

    /// <summary>Starts long streams and hangs up after their first bytes.</summary>
    private static async Task CutOffStreamsAsync(Uri url, string key, int count)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var body = LoadClient.Body(stream: true, chunks: 2000, chunkBytes: 1000);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(url, "v1/chat/completions")) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await response.Content.ReadAsStreamAsync();
            _ = await stream.ReadAsync(new byte[1024]);
        }));
        // The gateway notices the hang-ups and meters the rows (estimated) after the connections close.
        await Task.Delay(1000);
    }

    private static string Report(RunOptions options, List<RssVariant> variants, List<RssRound> rounds, DateTime started, string loadBefore, string loadAfter)
    {
        var md = new StringBuilder();
        md.AppendLine("# Peak RSS of the local host: fresh process, fixed work");
        md.AppendLine();
        md.AppendLine(Inv, $"{started:yyyy-MM-dd HH:mm} UTC · {Environment.ProcessorCount} cores · load average {loadBefore} before, {loadAfter} after · " +
            $"{options.Rounds} rounds, variants rotated per round · produced by `{options.CommandLine}`.");
        md.AppendLine();
        md.AppendLine(Inv, $"Each variant, each round, in a fresh process: {options.RssJson:N0} JSON answers and {options.RssStreams:N0} 24-chunk streams at 32 " +
            $"connections (closed loop), {options.RssCutOffs} long streams cut off after their first bytes (as wrk's runs end in the full report), then open-loop runs of {options.RateDuration.TotalSeconds:F0} s at {string.Join(", ", options.Rates)} requests/s " +
            $"(JSON, then streams). Peak RSS is VmHWM (never reset in the process); anon/file/shmem split the highest sampled RSS " +
            $"(shmem is the JIT's double-mapped code). GCs, pauses, allocation and CPU are over the work only (the probe's counters and /proc), " +
            $"JIT figures since the start. Medians over rounds; Δ peak is the variant's minus A's within each round, then the median.");
        md.AppendLine();
        md.AppendLine("| variant | peak RSS per round (MiB) | median | Δ peak vs A | after closed loop | idle | anon / file / shmem at peak | GCs gen0/1/2 | GC pauses (ms) | alloc KiB/request | CPU ms/request (all / open loop) | GC committed (MiB) | JIT methods | errors | usage rows queued at most | kept after 12 s idle: RSS / GC committed / heap / pinned heap (MiB) |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        var a = rounds.Where(r => r.Variant == variants[0].Label).ToDictionary(r => r.Round);
        foreach (var variant in variants)
        {
            var of = rounds.Where(r => r.Variant == variant.Label).OrderBy(r => r.Round).ToList();
            double M(Func<RssRound, double> f) => Stats.Median(of.Select(f));
            var delta = Stats.Median(of.Where(r => a.ContainsKey(r.Round)).Select(r => r.PeakMiB - a[r.Round].PeakMiB));
            string[] cells =
            [
                variant.Label, string.Join(" / ", of.Select(r => r.PeakMiB.ToString("F0", Inv))), M(r => r.PeakMiB).ToString("F0", Inv),
                variant == variants[0] ? "" : delta.ToString("+0;−0;0", Inv), M(r => r.ClosedPeakMiB).ToString("F0", Inv), M(r => r.IdleMiB).ToString("F0", Inv),
                string.Join(" / ", new[] { M(r => r.PeakKinds.AnonKiB), M(r => r.PeakKinds.FileKiB), M(r => r.PeakKinds.ShmemKiB) }.Select(k => (k / 1024).ToString("F0", Inv))),
                string.Join("/", new[] { M(r => r.Gen0), M(r => r.Gen1), M(r => r.Gen2) }.Select(g => g.ToString("F0", Inv))),
                M(r => r.GcPauseMs).ToString("F0", Inv), M(r => r.AllocatedKiBPerRequest).ToString("F1", Inv), M(r => r.CpuMsPerRequest).ToString("F3", Inv) + " / " + M(r => r.OpenLoopCpuMsPerRequest).ToString("F3", Inv),
                M(r => r.HeapCommittedMiB).ToString("F0", Inv), M(r => r.JitMethods).ToString("F0", Inv), of.Sum(r => r.Errors).ToString(Inv), M(r => r.Queue.MaxQueued).ToString("F0", Inv),
                string.Join(" / ", new[] { M(r => r.Kept.RssMiB), M(r => r.Kept.CommittedMiB), M(r => r.Kept.HeapMiB) }.Select(k => k.ToString("F0", Inv)))
                    + " / " + M(r => r.Kept.PinnedMiB).ToString("F1", Inv),
            ];
            md.AppendLine("| " + string.Join(" | ", cells) + " |");
        }
        md.AppendLine();
        md.AppendLine("## Every round");
        md.AppendLine();
        md.AppendLine("```");
        foreach (var r in rounds)
        {
            md.AppendLine(r.Describe());
        }
        md.AppendLine("```");
        return md.ToString();
    }
}
