using System.Globalization;
using Sluice.Host.Dev;
using Sluice.Load;
using Sluice.Wire;

// The load harness (tests/load/run.sh runs it). Not a test: it asserts nothing about time, it measures and reports.
// Phases, in this order (each can be skipped): open-loop constant-rate tails, closed-loop saturation (wrk), open
// streams, usage rows (none lost, incl. SIGTERM), memory per stream size. Options:
//   --rounds N (3)  --duration SECONDS per wrk run (8)  --warmup SECONDS per target and mode (8)  --skip-rows  --skip-memory  --out FILE
//   --rates 250,500,1000  --rate-duration SECONDS per open-loop run (10)  --skip-rates  --no-functions-setting
//   --sluice-env K=V[;K=V][|K=V...]: more constant-rate targets, this build with those environment settings (| between variants)
//   --no-fair-use: drop the fair-use pair (this build with limits off and with every limit on; added p50/p99 of on vs off)
//   --skip-saturation
//   --streams 250,1000,4000  --streams-window SECONDS (60)  --stream-targets direct,yarp,sluice  --skip-streams
//   --upstream-ttfb-ms N, --upstream-interval-ms N (0): the fake upstream's wait before its first byte and between events
//   --serve: start the stack, print its URLs and a key, and wait (for profiling by hand)
//   --compare OTHER_DLL: A/B run of this build against another build of the local host (see Comparison), with
//     --connections 32,128 (the scenarios' concurrency), --non-streaming (streams by default) and --compare-a DLL
//     (another build as A instead of this checkout's)
//   --peak-rss: peak RSS A/B, each variant in a fresh process doing the same fixed work (see PeakRssRun): this build,
//     --sluice-env variants of it, and other builds (--rss-builds DLL[,DLL], e.g. a ReadyToRun publish), with
//     --rss-json N (6000) and --rss-streams N (4000) closed-loop requests, --rss-cutoffs N (32) streams cut off, then the --rates runs for --rate-duration each;
//     writes tests/load/results/peak-rss.md
//   --answer-end: only measure holding each answer's end until its usage row commits (latency, and rows across SIGKILL);
//                 writes tests/load/results/answer-end.md
var options = RunOptions.Parse(args);
var root = RepoRoot.Find();
var script = Path.Combine(root, "tests", "load", "chat.lua");
if (options.PeakRss)
{
    var peakRss = await PeakRssRun.RunAsync(options);
    var peakRssFile = options.Output ?? Path.Combine(root, "tests", "load", "results", "peak-rss.md");
    await File.WriteAllTextAsync(peakRssFile, peakRss);
    Console.WriteLine(peakRss);
    Console.WriteLine($"Written to {peakRssFile}.");
    return;
}
if (options.CompareDll is { } otherDll)
{
    var comparison = await Comparison.RunAsync(options, otherDll, script);
    var comparisonFile = options.Output ?? Path.Combine(root, "tests", "load", "results", "comparison.md");
    await File.WriteAllTextAsync(comparisonFile, comparison);
    Console.WriteLine(comparison);
    Console.WriteLine($"Written to {comparisonFile}.");
    return;
}
// Read before anything starts: the report states how busy the machine already was.
var runStarted = DateTime.UtcNow;
var loadBefore = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
await using var stack = await LoadStack.StartAsync(options.UpstreamArgs);
var (loadAccount, loadKey) = await stack.CreateAccountAsync("load");
var (exactAccount, exactKey) = await stack.CreateAccountAsync("load-exact");
var (stopAccount, stopKey) = await stack.CreateAccountAsync("load-sigterm");
var (meterAccount, _) = await stack.CreateAccountAsync("load-meter");
if (options.AnswerEnd)
{
    // Its own run: the cost and the effect of holding each answer's end until its row is committed.
    var answerEnd = await AnswerEndRun.RunAsync(stack, options.Rounds, stack.CreateAccountAsync);
    var answerEndFile = options.Output ?? Path.Combine(root, "tests", "load", "results", "answer-end.md");
    await File.WriteAllTextAsync(answerEndFile, answerEnd);
    Console.WriteLine(answerEnd);
    Console.WriteLine($"Written to {answerEndFile}.");
    return;
}
var sluice = await stack.StartSluiceAsync();
Console.WriteLine($"Stack up: direct {stack.Direct}, yarp {stack.YarpUrl}, sluice {stack.SluiceUrl} (pid {sluice.Pid}), azurite pid {stack.AzuritePid}.");
if (options.Serve)
{
    // For profiling by hand: keep the stack up until Enter (or end of input).
    Console.WriteLine($"Serving. Load key: {loadKey} (account {loadAccount}). Press Enter to stop.");
    await Console.In.ReadLineAsync();
    return;
}

// The Functions app's metering setting on the same build: every answer's end waits for its row's commit.
ChildProcess? functionsSetting = null;
var rateRuns = new List<RateRun>();
if (!options.SkipRates)
{
    var rateTargets = new List<RateTarget>
    {
        new(RateTargets.Direct, Target.Direct, stack.Direct, stack.Upstream),
        new(RateTargets.Yarp, Target.Yarp, stack.YarpUrl, stack.Yarp),
        new(RateTargets.Sluice, Target.Sluice, stack.SluiceUrl, sluice),
    };
    if (options.FunctionsSetting)
    {
        var (process, url) = await stack.StartBuildAsync("sluice-functions-setting", stack.ThisBuild, LoadStack.FunctionsSetting);
        functionsSetting = process;
        rateTargets.Add(new RateTarget(RateTargets.FunctionsSetting, Target.Sluice, url, process));
    }
    var variants = new List<ChildProcess>();
    for (var v = 0; v < options.SluiceVariants.Count; v++)
    {
        // A/B in one run: the same build with other settings (a GC knob, a usage option), one more target each.
        var settings = options.SluiceVariants[v];
        var (variant, url) = await stack.StartBuildAsync($"sluice-variant-{v + 1}", stack.ThisBuild, settings);
        variants.Add(variant);
        rateTargets.Add(new RateTarget(RateTargets.Variant(settings, options.SluiceVariants.Count > 1 ? v + 1 : null), Target.Sluice, url, variant));
    }
    ChildProcess? limitsOff = null, limitsOn = null;
    if (options.FairUse)
    {
        // The request-path cost of fair use: the same build with it off, and with every limit in force.
        (limitsOff, var offUrl) = await stack.StartBuildAsync("sluice-limits-off", stack.ThisBuild, LoadStack.LimitsOff);
        (limitsOn, var onUrl) = await stack.StartBuildAsync("sluice-limits-on", stack.ThisBuild, LoadStack.LimitsOn);
        rateTargets.Add(new RateTarget(RateTargets.LimitsOff, Target.Sluice, offUrl, limitsOff));
        rateTargets.Add(new RateTarget(RateTargets.LimitsOn, Target.Sluice, onUrl, limitsOn));
    }
    Console.WriteLine("Open-loop runs at constant rates…");
    rateRuns = await RatePhase.RunAsync(rateTargets, loadKey, options.Rates, options.RateDuration, options.Rounds, stack.AzuritePid);
    foreach (var extra in variants.Prepend(functionsSetting).Append(limitsOff).Append(limitsOn))
    {
        if (extra is not null)
        {
            // Stopped gracefully, so its queued rows are committed (a kill would lose them and the rows check below).
            extra.Terminate();
            await extra.WaitForExitAsync(TimeSpan.FromSeconds(60));
            await extra.DisposeAsync();
        }
    }
}

var targets = new (Target Target, Uri Url, ChildProcess? Process)[]
{
    (Target.Direct, stack.Direct, stack.Upstream),
    (Target.Yarp, stack.YarpUrl, stack.Yarp),
    (Target.Sluice, stack.SluiceUrl, sluice),
};
Scenario[] scenarios =
[
    new("non-streaming", Stream: false, Connections: 1),
    new("non-streaming", Stream: false, Connections: 32),
    new("streaming (24 chunks)", Stream: true, Connections: 1),
    new("streaming (24 chunks)", Stream: true, Connections: 32),
];

Dictionary<string, string> WrkEnv(bool stream) => new()
{
    ["LOAD_KEY"] = loadKey, ["LOAD_STREAM"] = stream ? "1" : "0", ["LOAD_MODEL"] = LoadStack.Model, ["LOAD_CHUNKS"] = "24",
};

// Warm-up: JIT and tiered compilation (slow to settle on a busy 2-core machine), connection pools and the key cache.
// Every request sent through a Sluice process with the load key leaves a row: the rate runs' and their warm-ups' too.
// Every Sluice target counts: (c), (c′) and the --sluice-env variant (c″) all meter with the load key.
static bool Metered(string target) => target is not (RateTargets.Direct or RateTargets.Yarp);
long sluiceRequests = rateRuns.Where(r => Metered(r.Target)).Sum(r => r.Result.Sent)
    + rateRuns.Select(r => r.Target).Distinct().Count(Metered) * 2 * options.Rates.Max() * 3;
var runs = new List<Run>();
var metering = new List<MeteringResult>();
if (!options.SkipSaturation)
{
    Console.WriteLine("Warming up…");
    foreach (var (target, url, _) in targets)
    {
        var warm = (await Wrk.RunAsync(script, url, 32, options.WarmUp, WrkEnv(false))).Requests
            + (await Wrk.RunAsync(script, url, 32, options.WarmUp, WrkEnv(true))).Requests
            + (await Wrk.RunAsync(script, url, 1, TimeSpan.FromSeconds(2), WrkEnv(false))).Requests;
        sluiceRequests += target == Target.Sluice ? warm : 0;
    }

    for (var round = 1; round <= options.Rounds; round++)
    {
        foreach (var scenario in scenarios)
        {
            // Interleaved, and rotated per round so no target always goes first after a change of scenario.
            for (var t = 0; t < targets.Length; t++)
            {
                var (target, url, process) = targets[(t + round - 1) % targets.Length];
                ProcStats.ResetPeak(process!.Pid);
                var before = process.Stats();
                var azuriteBefore = ProcStats.Read(stack.AzuritePid).CpuTicks;
                var upstreamBefore = stack.Upstream.Stats().CpuTicks;
                var machineBefore = MachineCpu.Read();
                var sampler = RssSampler.Start(process.Pid);
                var wrk = await Wrk.RunAsync(script, url, scenario.Connections, options.Duration, WrkEnv(scenario.Stream));
                var after = process.Stats();
                var azuriteAfter = ProcStats.Read(stack.AzuritePid).CpuTicks;
                var seconds = options.Duration.TotalSeconds;
                double Percent(long ticks) => ticks / ProcStats.TicksPerSecond / seconds * 100;
                var cpu = new SaturationCpu(wrk.CpuSeconds / seconds * 100, Percent(stack.Upstream.Stats().CpuTicks - upstreamBefore),
                    target == Target.Direct ? null : Percent(after.CpuTicks - before.CpuTicks), Percent(azuriteAfter - azuriteBefore),
                    MachineCpu.BusyPercentOfCore(machineBefore, MachineCpu.Read()));
                double? ttfbP50 = null, ttfbP99 = null;
                if (scenario.Stream)
                {
                    using var client = new LoadClient(url, loadKey);
                    var body = LoadClient.Body(stream: true, chunks: 24);
                    var samples = await client.RunAsync(scenario.Connections == 1 ? 300 : 32 * 12, scenario.Connections, _ => body);
                    ttfbP50 = Stats.Percentile(samples.Where(s => s.Status == 200).Select(s => s.TtfbMs), 50);
                    ttfbP99 = Stats.Percentile(samples.Where(s => s.Status == 200).Select(s => s.TtfbMs), 99);
                    if (target == Target.Sluice)
                    {
                        sluiceRequests += samples.Count(s => s.Status != 0);
                    }
                }
                if (target == Target.Sluice)
                {
                    sluiceRequests += wrk.Requests;
                }
                await sampler.DisposeAsync();
                var run = new Run(round, scenario, target, wrk,
                    CpuMsPerRequest: (after.CpuTicks - before.CpuTicks) * 1000 / ProcStats.TicksPerSecond / Math.Max(1, wrk.Requests),
                    AzuriteCpuMsPerRequest: target == Target.Sluice ? (azuriteAfter - azuriteBefore) * 1000 / ProcStats.TicksPerSecond / Math.Max(1, wrk.Requests) : null,
                    // VmHWM only rises until the next reset, so this peak covers the TTFB client's streams too.
                    PeakRssMiB: process.Stats().PeakRssKiB / 1024.0, ttfbP50, ttfbP99, sampler.Peak) { Cpu = cpu };
                runs.Add(run);
                Console.WriteLine(run.Describe());
            }
            if (scenario is { Stream: false, Connections: 32 })
            {
                // (d), in the same round: the metering path alone, at what rate storage here takes rows.
                var meter = await MeteringAlone.RunAsync(stack.StorageConnectionString, LoadStack.TablePrefix, meterAccount, options.Duration,
                    stack.AzuritePid);
                metering.Add(meter);
                Console.WriteLine($"round {round} metering alone (d): {meter}");
            }
        }
    }

}

// Whether (c) has loaded the token estimator's vocabulary (about 40 MiB of heap, loaded by the first row estimated: a
// stream its client cut off, as wrk does at the end of every run): the peak below is read with it or without it.
var tokenizerLoaded = sluice.Probe().Value("tokenizer.loaded") > 0;
var streamRuns = new List<OpenStreamsResult>();
if (!options.SkipStreams)
{
    // Open streams of a model's shape through one fresh Sluice process (and the other targets asked for), each level
    // after the other; the fake upstream and this client stay the same processes throughout.
    sluice = await stack.StartSluiceAsync();
    using (var warm = new LoadClient(stack.SluiceUrl, loadKey))
    {
        await warm.RunAsync(2000, 16, i => LoadClient.Body(i % 2 == 0, 24));
    }
    foreach (var concurrent in options.Streams)
    {
        var shape = StreamShape.For(concurrent);
        foreach (var target in options.StreamTargets)
        {
            var (url, process) = target switch
            {
                Target.Direct => (stack.Direct, (ChildProcess?)null),
                Target.Yarp => (stack.YarpUrl, stack.Yarp),
                _ => (stack.SluiceUrl, sluice),
            };
            Console.WriteLine($"{concurrent} open streams through {target}…");
            var result = await OpenStreams.RunAsync(target, url, loadKey, shape, options.StreamsWindow, process, stack.Upstream, stack.AzuritePid);
            streamRuns.Add(result);
            Console.WriteLine(result.Describe());
            sluiceRequests += target == Target.Sluice ? result.Started : 0;
            // Let the cut streams' rows and connections settle before the next level.
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
    }
}

var report = new Report(options, runs, metering, runStarted, loadBefore) { RateRuns = rateRuns, StreamRuns = streamRuns, TokenizerLoaded = tokenizerLoaded };

if (!options.SkipRows)
{
    // Every request the load sent through Sluice is metered (wrk's cut-off requests too, so rows >= completed). The
    // process still commits the last streams' rows: count once its queue is empty, so the table is at rest.
    var drained = DateTime.UtcNow;
    while (sluice.Probe() is { IsEmpty: false } probe && probe.Value("sluice.usage.rows.queued") > 0
        && DateTime.UtcNow - drained < TimeSpan.FromMinutes(2))
    {
        await Task.Delay(100);
    }
    var (loadRows, loadWait) = await UsageCount.SettleAsync(stack.Usage, loadAccount, (int)sluiceRequests);
    report.Rows.Add(new RowCheck("warm-up and load rounds above (wrk + TTFB client)", sluiceRequests, sluiceRequests, loadRows.Rows,
        loadRows.CounterRequests, Missing: null, loadWait));
    // (d)'s rows: every one it recorded is in the table once the meter has stopped.
    var metered = metering.Sum(m => m.Rows);
    var (meterRows, meterWait) = await UsageCount.SettleAsync(stack.Usage, meterAccount, (int)metered);
    report.Rows.Add(new RowCheck("metering alone (d), rounds above", metered, metered, meterRows.Rows, meterRows.CounterRequests,
        Missing: null, meterWait));

    // Exactly N requests, half of them streams → exactly N rows, and counters that sum to N.
    const int exactN = 4000;
    using (var client = new LoadClient(stack.SluiceUrl, exactKey))
    {
        var plain = LoadClient.Body(false, 24);
        var streamed = LoadClient.Body(true, 24);
        var samples = await client.RunAsync(exactN, 32, i => i % 2 == 0 ? plain : streamed);
        var answered = samples.Where(s => s.Status != 0).ToArray();
        var (rows, waited) = await UsageCount.SettleAsync(stack.Usage, exactAccount, exactN);
        report.Rows.Add(new RowCheck("exact: 4,000 requests at c32, half streamed", exactN, answered.Length, rows.Rows,
            rows.CounterRequests, answered.Count(s => s.RequestId is null || !rows.RequestIds.Contains(s.RequestId)), waited));
    }

    // Graceful stop mid-load: SIGTERM while 32 clients keep sending. Every answered request must have its row.
    using (var client = new LoadClient(stack.SluiceUrl, stopKey))
    {
        var plain = LoadClient.Body(false, 24);
        var streamed = LoadClient.Body(true, 24);
        const int stopN = 30_000;
        var load = client.RunAsync(stopN, 32, i => i % 2 == 0 ? plain : streamed);
        await Task.Delay(TimeSpan.FromSeconds(2));
        sluice.Terminate();
        var exitCode = await sluice.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var samples = await load;
        var answered = samples.Where(s => s.Status != 0).ToArray();
        var rows = await UsageCount.ReadAsync(stack.Usage, stopAccount);
        report.Rows.Add(new RowCheck($"SIGTERM after 2 s of a 30,000-request c32 run (exit code {exitCode})", stopN, answered.Length,
            rows.Rows, rows.CounterRequests, answered.Count(s => s.RequestId is null || !rows.RequestIds.Contains(s.RequestId)), TimeSpan.Zero));
    }
}

if (!options.SkipMemory)
{
    // Memory per open stream: 8 concurrent streams of 1, 10 and 50 MB each, a fresh gateway process for each size.
    foreach (var megabytes in (int[])[1, 10, 50])
    {
        var process = await stack.StartSluiceAsync();
        using var client = new LoadClient(stack.SluiceUrl, loadKey);
        await client.RunAsync(64, 8, i => LoadClient.Body(i % 2 == 0, 24));
        await client.RunAsync(8, 8, _ => LoadClient.Body(true, 64, 1000));
        await Task.Delay(500);
        var baseline = process.Stats();
        ProcStats.ResetPeak(process.Pid);
        const int chunkBytes = 1000;
        var chunks = megabytes * 1024 * 1024 / (chunkBytes + 250);
        var body = LoadClient.Body(stream: true, chunks, chunkBytes);
        var started = DateTime.UtcNow;
        var samples = await client.RunAsync(8, 8, _ => body);
        var peak = process.Stats();
        report.Memory.Add(new MemoryCheck(megabytes, 8, samples.Count(s => s.Status == 200), samples.Average(s => s.Bytes) / 1024 / 1024,
            baseline.RssKiB / 1024.0, peak.PeakRssKiB / 1024.0, DateTime.UtcNow - started));
        Console.WriteLine(report.Memory[^1]);
    }
}

var output = options.Output ?? Path.Combine(root, "tests", "load", "results", "latest.md");
report.LoadAfter = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
var markdown = report.ToMarkdown();
await File.WriteAllTextAsync(output, markdown);
Console.WriteLine(markdown);
Console.WriteLine($"Written to {output}.");

internal enum Target { Direct, Yarp, Sluice }

internal sealed record Scenario(string Name, bool Stream, int Connections)
{
    public string Label => $"{Name}, c{Connections}";
}

/// <summary>Where the CPU went during one closed-loop run, in percent of one core (the machine's: of all cores together).</summary>
internal sealed record SaturationCpu(double Wrk, double Upstream, double? Gateway, double Azurite, double Machine);

internal sealed record Run(int Round, Scenario Scenario, Target Target, WrkResult Wrk, double CpuMsPerRequest,
    double? AzuriteCpuMsPerRequest, double PeakRssMiB, double? TtfbP50Ms, double? TtfbP99Ms, RssKinds PeakKinds)
{
    public SaturationCpu? Cpu { get; init; }

    /// <summary>The machine's 1-minute load average as the run ended.</summary>
    public double Load { get; init; } = LoadAverage.Now();

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"round {Round} {Scenario.Label,-30} {Target,-6} {Wrk.Rps,9:F0} rps  p50 {Wrk.P50Ms,7:F3} ms  p99 {Wrk.P99Ms,7:F3} ms  errors {Wrk.Errors}  cpu {CpuMsPerRequest:F3} ms/req  peak {PeakRssMiB:F0} MiB  ttfb p50 {TtfbP50Ms:F3}");
}

internal sealed record RunOptions(int Rounds, TimeSpan Duration, bool SkipRows, bool SkipMemory, string? Output, bool Serve, TimeSpan WarmUp,
    int UpstreamTtfbMs, int UpstreamIntervalMs, string? CompareDll, string? CompareA, int[] Connections, bool CompareStream, bool AnswerEnd)
{
    public int[] Rates { get; init; } = [250, 500, 1000];
    public TimeSpan RateDuration { get; init; } = TimeSpan.FromSeconds(10);
    public bool SkipRates { get; init; }
    public bool FunctionsSetting { get; init; } = true;
    public bool FairUse { get; init; } = true;
    public bool SkipSaturation { get; init; }
    public int[] Streams { get; init; } = [250, 1000, 4000];
    public TimeSpan StreamsWindow { get; init; } = TimeSpan.FromSeconds(60);
    public Target[] StreamTargets { get; init; } = [Target.Direct, Target.Yarp, Target.Sluice];
    public bool SkipStreams { get; init; }
    public bool PeakRss { get; init; }
    public int RssJson { get; init; } = 6000;
    public int RssStreams { get; init; } = 4000;
    public int RssCutOffs { get; init; } = 32;
    /// <summary>Other builds of the local host for the peak-RSS A/B (e.g. a ReadyToRun publish).</summary>
    public string[] RssBuilds { get; init; } = [];
    /// <summary>Variants of (c) for A/B runs: each this build with more environment settings.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> SluiceVariants { get; init; } = [];

    /// <summary>The command line that reproduces this run's options (for the report).</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>The fake upstream's latency settings.</summary>
    public string[] UpstreamArgs =>
        ["--TtfbMs", UpstreamTtfbMs.ToString(CultureInfo.InvariantCulture), "--ChunkIntervalMs", UpstreamIntervalMs.ToString(CultureInfo.InvariantCulture)];

    public static RunOptions Parse(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new RunOptions(
            Int("--rounds", 3),
            TimeSpan.FromSeconds(Int("--duration", 8)),
            args.Contains("--skip-rows"),
            args.Contains("--skip-memory"),
            Value("--out"),
            args.Contains("--serve"),
            TimeSpan.FromSeconds(Int("--warmup", 8)),
            Int("--upstream-ttfb-ms", 0),
            Int("--upstream-interval-ms", 0),
            Value("--compare") is { } dll ? Path.GetFullPath(dll) : null,
            Value("--compare-a") is { } a ? Path.GetFullPath(a) : null,
            [.. (Value("--connections") ?? "32,128").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))],
            !args.Contains("--non-streaming"),
            args.Contains("--answer-end"))
        {
            Rates = Value("--rates") is { } r ? Ints(r) : [250, 500, 1000],
            RateDuration = TimeSpan.FromSeconds(Int("--rate-duration", 10)),
            SkipRates = args.Contains("--skip-rates"),
            FunctionsSetting = !args.Contains("--no-functions-setting"),
            FairUse = !args.Contains("--no-fair-use"),
            SkipSaturation = args.Contains("--skip-saturation"),
            Streams = Value("--streams") is { } n ? Ints(n) : [250, 1000, 4000],
            StreamsWindow = TimeSpan.FromSeconds(Int("--streams-window", 60)),
            StreamTargets = [.. (Value("--stream-targets") ?? "direct,yarp,sluice").Split(',').Select(t => Enum.Parse<Target>(t, ignoreCase: true))],
            SkipStreams = args.Contains("--skip-streams"),
            PeakRss = args.Contains("--peak-rss"),
            RssJson = Int("--rss-json", 6000),
            RssStreams = Int("--rss-streams", 4000),
            RssCutOffs = Int("--rss-cutoffs", 32),
            RssBuilds = [.. (Value("--rss-builds") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFullPath)],
            SluiceVariants = [.. (Value("--sluice-env") ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries)
                .Select(variant => (IReadOnlyDictionary<string, string>)variant.Split(';', StringSplitOptions.RemoveEmptyEntries)
                    .Select(pair => pair.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : ""))],
            CommandLine = string.Join(' ', ["tests/load/run.sh", .. args]),
        };

        static int[] Ints(string list) => [.. list.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))];
    }
}
