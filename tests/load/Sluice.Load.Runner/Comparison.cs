using System.Globalization;
using System.Text;

namespace Sluice.Load;

/// <summary>
/// An A/B run of two builds of Sluice's local host (<c>--compare OTHER_DLL</c>): this checkout's Release build (A) and
/// another (B: an earlier commit, say, built the same way), each in its own process on the same Azurite, behind the
/// same fake upstream answering with a model's latency (<c>--upstream-ttfb-ms</c>, <c>--upstream-interval-ms</c>).
/// Every round runs each scenario on both builds, the order alternating between rounds, so both meet the same load on
/// the machine; the report gives B/A per round and the median of those ratios. On two cores shared with other work a
/// single run is noisy: the spread of the per-round ratios says how much a median can be trusted.
/// </summary>
internal static class Comparison
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<string> RunAsync(RunOptions options, string otherDll, string script)
    {
        var started = DateTime.UtcNow;
        var loadBefore = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        await using var stack = await LoadStack.StartAsync(options.UpstreamArgs);
        var (_, key) = await stack.CreateAccountAsync("compare");
        var thisBuild = options.CompareA ?? stack.ThisBuild;
        var (a, aUrl) = await stack.StartBuildAsync("sluice-a", thisBuild);
        await using var _a = a;
        var (b, bUrl) = await stack.StartBuildAsync("sluice-b", otherDll);
        await using var _b = b;
        var builds = new (string Name, ChildProcess Process, Uri Url)[] { ("A", a, aUrl), ("B", b, bUrl) };
        var env = new Dictionary<string, string>
        {
            ["LOAD_KEY"] = key, ["LOAD_STREAM"] = options.CompareStream ? "1" : "0", ["LOAD_MODEL"] = LoadStack.Model, ["LOAD_CHUNKS"] = "24",
        };

        Console.WriteLine("Warming up both builds…");
        foreach (var (_, _, url) in builds)
        {
            foreach (var connections in options.Connections)
            {
                await Wrk.RunAsync(script, url, connections, options.WarmUp, env);
            }
        }

        var runs = new List<AbRun>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var connections in options.Connections)
            {
                foreach (var (name, process, url) in round % 2 == 1 ? builds : builds.Reverse())
                {
                    ProcStats.ResetPeak(process.Pid);
                    var before = process.Stats();
                    var wrk = await Wrk.RunAsync(script, url, connections, options.Duration, env);
                    var after = process.Stats();
                    var run = new AbRun(round, connections, name, wrk,
                        (after.CpuTicks - before.CpuTicks) * 1000 / ProcStats.TicksPerSecond / Math.Max(1, wrk.Requests), after.PeakRssKiB / 1024.0);
                    runs.Add(run);
                    Console.WriteLine(run);
                }
            }
        }
        var loadAfter = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        return Report(options, thisBuild, otherDll, runs, started, loadBefore, loadAfter);
    }

    private static string Report(RunOptions options, string thisDll, string otherDll, List<AbRun> runs, DateTime started, string loadBefore,
        string loadAfter)
    {
        var md = new StringBuilder();
        md.AppendLine("# Sluice A/B load run");
        md.AppendLine();
        md.AppendLine(Inv, $"{started:yyyy-MM-dd HH:mm} UTC · {Environment.ProcessorCount} cores · load average {loadBefore} before, {loadAfter} after · " +
            $"{options.Rounds} rounds × {options.Duration.TotalSeconds:F0} s per wrk run, builds alternating · produced by `tests/load/run.sh --compare …`.");
        md.AppendLine();
        md.AppendLine(Inv, $"A = `{thisDll}`; B = `{otherDll}` (each a Release build of the local host). Both meter every request to the same Azurite (in memory, same " +
            $"machine). The fake upstream waits {options.UpstreamTtfbMs} ms before its first byte and {options.UpstreamIntervalMs} ms between " +
            $"stream events ({(options.CompareStream ? "24-chunk streams" : "non-streaming answers")}). Medians over rounds; B/A is taken within each round, " +
            $"then the median, with the lowest and highest round beside it.");
        md.AppendLine();
        md.AppendLine("| Scenario | Metric | A | B | B / A (median) | B / A (min – max) |");
        md.AppendLine("|---|---|--:|--:|--:|--:|");
        foreach (var connections in options.Connections)
        {
            var label = $"c{connections}";
            Line(md, runs, label, connections, "requests/s", r => r.Wrk.Rps, "F0");
            Line(md, runs, label, connections, "p50 latency (ms)", r => r.Wrk.P50Ms, "F1");
            Line(md, runs, label, connections, "p99 latency (ms)", r => r.Wrk.P99Ms, "F1");
            Line(md, runs, label, connections, "CPU ms/request (gateway)", r => r.CpuMsPerRequest, "F3");
            Line(md, runs, label, connections, "peak RSS (MiB)", r => r.PeakRssMiB, "F0");
            var errors = runs.Where(r => r.Connections == connections).GroupBy(r => r.Build).ToDictionary(g => g.Key, g => g.Sum(r => r.Wrk.Errors));
            md.AppendLine(Inv, $"| {label} | errors (non-2xx + socket) | {errors.GetValueOrDefault("A")} | {errors.GetValueOrDefault("B")} | | |");
        }
        md.AppendLine();
        md.AppendLine("## Every run");
        md.AppendLine();
        md.AppendLine("| Round | Scenario | Build | requests/s | p50 (ms) | p99 (ms) | CPU ms/request | peak RSS (MiB) | errors |");
        md.AppendLine("|--:|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (var r in runs)
        {
            md.AppendLine(Inv, $"| {r.Round} | c{r.Connections} | {r.Build} | {r.Wrk.Rps:F0} | {r.Wrk.P50Ms:F1} | {r.Wrk.P99Ms:F1} | {r.CpuMsPerRequest:F3} | {r.PeakRssMiB:F0} | {r.Wrk.Errors} |");
        }
        return md.ToString();
    }

    private static void Line(StringBuilder md, List<AbRun> runs, string label, int connections, string metric, Func<AbRun, double> value, string format)
    {
        var ofScenario = runs.Where(r => r.Connections == connections).ToList();
        var a = ofScenario.Where(r => r.Build == "A").ToDictionary(r => r.Round);
        var b = ofScenario.Where(r => r.Build == "B").ToDictionary(r => r.Round);
        var ratios = a.Keys.Intersect(b.Keys).Select(round => value(b[round]) / value(a[round])).Order().ToList();
        md.AppendLine(Inv, $"| {label} | {metric} | {Stats.Median(a.Values.Select(value)).ToString(format, Inv)} | " +
            $"{Stats.Median(b.Values.Select(value)).ToString(format, Inv)} | {Stats.Median(ratios):F3} | {ratios.FirstOrDefault():F3} – {ratios.LastOrDefault():F3} |");
    }

    private sealed record AbRun(int Round, int Connections, string Build, WrkResult Wrk, double CpuMsPerRequest, double PeakRssMiB)
    {
        public override string ToString() => string.Create(Inv,
            $"round {Round} c{Connections,-4} {Build}  {Wrk.Rps,8:F0} rps  p50 {Wrk.P50Ms,8:F1} ms  p99 {Wrk.P99Ms,8:F1} ms  errors {Wrk.Errors}  cpu {CpuMsPerRequest:F3} ms/req  peak {PeakRssMiB:F0} MiB");
    }
}
