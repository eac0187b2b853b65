using System.Text;

namespace Sluice.Load;

/// <summary>The report's sections for issue 19: open-loop tails, where the CPU went at saturation, open streams.</summary>
internal sealed partial class Report
{
    /// <summary>A 2,048 MB Flex instance: memory the app may fill, leaving half as headroom, and its one core.</summary>
    public const double InstanceMiB = 2048;

    public List<RateRun> RateRuns { get; init; } = [];

    /// <summary>Whether (c) had loaded the token estimator's vocabulary by the end of its constant-rate and closed-loop
    /// runs (the harness's probe), so the peak RSS is read with it or without it.</summary>
    public bool TokenizerLoaded { get; init; }
    public List<OpenStreamsResult> StreamRuns { get; init; } = [];

    /// <summary>/proc/loadavg (1, 5 and 15 minutes) when the run ended.</summary>
    public string LoadAfter { get; set; } = "";

    private static string Answer(bool stream) => stream ? "stream (24 chunks)" : "JSON";

    private IEnumerable<RateRun> RateOf(bool stream, double rate, string target) =>
        RateRuns.Where(r => r.Stream == stream && r.Rate == rate && r.Target == target);

    /// <summary>Median over rounds of (target − direct) in the same round.</summary>
    private double Added(bool stream, double rate, string target, Func<RateRun, double> value) =>
        Stats.Median(RateOf(stream, rate, target).Select(r =>
            RateOf(stream, rate, RateTargets.Direct).FirstOrDefault(d => d.Round == r.Round) is { } d ? value(r) - value(d) : double.NaN));

    private double MedianOf(bool stream, double rate, string target, Func<RateRun, double> value) =>
        Stats.Median(RateOf(stream, rate, target).Select(value));

    private void RateSection(StringBuilder md)
    {
        md.AppendLine("## Open-loop tails at constant rates");
        md.AppendLine();
        md.AppendLine(Inv, $"The harness's own client starts requests on a fixed schedule (one every 1/rate s, whatever is still in flight) and " +
            $"times each from its **intended** start, so a stall is charged to every request it delays (no coordinated omission). " +
            $"Percentiles from a log-linear histogram (exact below 2 ms, within 0.1 % above). {options.Rounds} rounds × " +
            $"{options.RateDuration.TotalSeconds:F0} s per run, targets rotated per round; each value is the median over rounds, and " +
            $"\"added\" is the target's figure minus direct's in the same round, then the median. (c) is Sluice's local host with its " +
            $"defaults (rows queued, group commit, `GatherDelay` 50 ms); (c′) is the same build in the Functions app's setting " +
            $"(`WaitForCommit` and `HoldAnswerEndUntilCommit`: every answer's end waits for its row's commit to Azurite).");
        md.AppendLine();
        md.AppendLine("| Answer | rate (req/s) | target | answered/s | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | added p50 | added p99 | added p99.9 | errors |");
        md.AppendLine("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        var targets = RateRuns.Select(r => r.Target).Distinct().ToList();
        foreach (var stream in RateRuns.Select(r => r.Stream).Distinct())
        {
            foreach (var rate in RateRuns.Select(r => r.Rate).Distinct())
            {
                foreach (var target in targets)
                {
                    var direct = target == RateTargets.Direct;
                    string Add(double p) => direct ? "" : Added(stream, rate, target, r => r.Result.Latency.PercentileMs(p)).ToString("F3", Inv);
                    md.AppendLine(Inv, $"| {Answer(stream)} | {rate:F0} | {target} | {MedianOf(stream, rate, target, r => r.Result.AchievedRate):F0} | " +
                        $"{MedianOf(stream, rate, target, r => r.Result.Latency.PercentileMs(50)):F3} | {MedianOf(stream, rate, target, r => r.Result.Latency.PercentileMs(99)):F3} | " +
                        $"{MedianOf(stream, rate, target, r => r.Result.Latency.PercentileMs(99.9)):F3} | {MedianOf(stream, rate, target, r => r.Result.Latency.MaxMs):F1} | " +
                        $"{Add(50)} | {Add(99)} | {Add(99.9)} | {RateOf(stream, rate, target).Sum(r => r.Result.Errors)} |");
                }
            }
        }
        md.AppendLine();
        md.AppendLine("Beside each run: what storage and the processes did. Rows committed/s and the usage queue come from Sluice's `Sluice.Usage` " +
            "meter (read in the process by the harness's probe, a startup hook); Azurite's CPU from /proc (node is single-threaded: 100 % is its " +
            "limit); GC pauses from the runtime's own events (suspension to restart), summed over the run; the client's start lag is how late its " +
            "scheduler started requests (p99), its own share of the noise; machine = all processes on both cores (200 % = saturated).");
        md.AppendLine();
        md.AppendLine("| Answer | rate | target | rows committed/s | Azurite CPU (%) | requests that waited for the usage queue | most rows queued | gateway CPU ms/request | GC pauses / total ms / > 1 ms | peak RSS (MiB) | client start lag p99 (ms) | machine busy (%) | load avg (1 min, highest) |");
        md.AppendLine("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var stream in RateRuns.Select(r => r.Stream).Distinct())
        {
            foreach (var rate in RateRuns.Select(r => r.Rate).Distinct())
            {
                foreach (var target in targets)
                {
                    var of = RateOf(stream, rate, target).ToList();
                    var sluice = of.Any(r => r.RowsPerSecond is not null);
                    string Opt(Func<RateRun, double?> f, string format) => of.Any(r => f(r) is not null) ? Stats.Median(of.Select(r => f(r) ?? double.NaN)).ToString(format, Inv) : "";
                    var gc = of.Any(r => r.GcPauses is not null)
                        ? string.Create(Inv, $"{Stats.Median(of.Select(r => r.GcPauses ?? 0)):F0} / {Stats.Median(of.Select(r => r.GcPauseTotalMs ?? 0)):F1} / {Stats.Median(of.Select(r => r.GcPausesOver1Ms ?? 0)):F0}")
                        : "";
                    md.AppendLine(Inv, $"| {Answer(stream)} | {rate:F0} | {target} | {Opt(r => r.RowsPerSecond, "F0")} | {(target == RateTargets.Direct ? "" : Stats.Median(of.Select(r => r.AzuriteCpuPercent)).ToString("F0", Inv))} | " +
                        $"{(sluice ? of.Sum(r => r.QueueWaits ?? 0).ToString("F0", Inv) : "")} | {(sluice ? of.Max(r => r.MaxQueued ?? 0).ToString("F0", Inv) : "")} | " +
                        $"{(target == RateTargets.Direct ? "" : Stats.Median(of.Select(r => r.GatewayCpuMsPerRequest)).ToString("F3", Inv))} | {gc} | " +
                        $"{(target == RateTargets.Direct ? "" : of.Max(r => r.PeakRssMiB).ToString("F0", Inv))} | {Stats.Median(of.Select(r => r.Result.Lag.PercentileMs(99))):F3} | " +
                        $"{Stats.Median(of.Select(r => r.MachineBusyPercent)):F0} | {of.Max(r => r.Load):F1} |");
                }
            }
        }
        md.AppendLine();
    }

    private void RateTargetsSection(StringBuilder md)
    {
        if (RateRuns.Count == 0)
        {
            return;
        }
        md.AppendLine("### Targets at constant rates (issue 19), for (c)");
        md.AppendLine();
        md.AppendLine("Storage keeps up at a rate when the rows committed per second are at least 95 % of the rate (median over rounds). " +
            "Each cell: the measured figure, then whether the target is met. Other Sluice targets are shown for comparison, not judged: (c′) " +
            "waits for a storage commit per request by design; (c″) is an A/B variant (`--sluice-env`).");
        md.AppendLine();
        var others = RateRuns.Select(r => r.Target).Distinct()
            .Where(t => t is not (RateTargets.Direct or RateTargets.Yarp or RateTargets.Sluice)).ToList();
        md.AppendLine("| Answer, rate | storage kept up (rows/s, Azurite CPU) | added p50 ≤ 0.2 ms | added p99 ≤ 1 ms | added p99 ≤ 2 × YARP's | no request waited for the usage queue |" +
            string.Concat(others.Select(o => $" {o[..o.IndexOf(')')]}) added p50 / p99 / p99.9 |")));
        md.AppendLine("|---|---|--:|--:|--:|--:|" + string.Concat(others.Select(_ => "--:|")));
        foreach (var stream in RateRuns.Select(r => r.Stream).Distinct())
        {
            foreach (var rate in RateRuns.Select(r => r.Rate).Distinct())
            {
                var rows = MedianOf(stream, rate, RateTargets.Sluice, r => r.RowsPerSecond ?? double.NaN);
                var azurite = MedianOf(stream, rate, RateTargets.Sluice, r => r.AzuriteCpuPercent);
                var keptUp = rows >= 0.95 * rate;
                var p50 = Added(stream, rate, RateTargets.Sluice, r => r.Result.Latency.PercentileMs(50));
                var p99 = Added(stream, rate, RateTargets.Sluice, r => r.Result.Latency.PercentileMs(99));
                var yarp99 = Added(stream, rate, RateTargets.Yarp, r => r.Result.Latency.PercentileMs(99));
                var waits = RateOf(stream, rate, RateTargets.Sluice).Sum(r => r.QueueWaits ?? 0);
                var extra = string.Concat(others.Select(o => string.Create(Inv,
                    $" {Added(stream, rate, o, r => r.Result.Latency.PercentileMs(50)):F3} / {Added(stream, rate, o, r => r.Result.Latency.PercentileMs(99)):F3} / {Added(stream, rate, o, r => r.Result.Latency.PercentileMs(99.9)):F3} ms |")));
                // A hop that adds nothing measurable (YARP's added p99 at or below zero) leaves the ratio meaningless: then judge 2 × 0.1 ms.
                var ratioBound = 2 * Math.Max(yarp99, 0.1);
                md.AppendLine(Inv, $"| {Answer(stream)}, {rate:F0}/s | {(keptUp ? "yes" : "**no**")} ({rows:F0}/s, {azurite:F0} %) | {p50:F3} ms {Mark(p50 <= 0.2)} | " +
                    $"{p99:F3} ms {Mark(p99 <= 1)} | {p99:F3} vs 2 × {yarp99:F3} ms {Mark(p99 <= ratioBound)} | {waits:F0} {Mark(!keptUp || waits == 0)} |{extra}");
            }
        }
        md.AppendLine();
    }

    private void SaturationCpuSection(StringBuilder md)
    {
        var withCpu = runs.Where(r => r.Cpu is not null && r.Scenario.Connections > 1).ToList();
        if (withCpu.Count == 0)
        {
            return;
        }
        md.AppendLine("## Saturation: which process is the limit");
        md.AppendLine();
        md.AppendLine("CPU of each process during the closed-loop runs above at 32 connections, in % of one core (median over rounds); " +
            "machine = every process on the machine, of 200 %. A process near 100 % of a core that cannot use more (node, Azurite's " +
            "runtime, is single-threaded) or a machine near 200 % is the limit.");
        md.AppendLine();
        md.AppendLine("| Scenario | target | requests/s | wrk | fake upstream | gateway | Azurite | machine | limit | load avg (1 min, highest) |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|---|--:|");
        foreach (var group in withCpu.GroupBy(r => (r.Scenario, r.Target)))
        {
            double M(Func<SaturationCpu, double?> f) => Stats.Median(group.Select(r => f(r.Cpu!) ?? double.NaN));
            var (wrk, upstream, gateway, azurite, machine) = (M(c => c.Wrk), M(c => c.Upstream), M(c => c.Gateway), M(c => c.Azurite), M(c => c.Machine));
            var limit = machine >= 180
                ? $"the machine's {Environment.ProcessorCount} cores (all busy: {Busiest()})"
                : azurite >= 85 ? "Azurite (one core, single-threaded)" : $"none at full CPU (busiest: {Busiest()})";
            string Busiest()
            {
                var all = new List<(string Name, double Cpu)> { ("wrk", wrk), ("fake upstream", upstream), ("Azurite", azurite) };
                if (!double.IsNaN(gateway))
                {
                    all.Add((group.Key.Target == Target.Yarp ? "YARP hop" : "Sluice", gateway));
                }
                var top = all.OrderByDescending(p => p.Cpu).First();
                return string.Create(Inv, $"{top.Name} {top.Cpu:F0} %");
            }
            md.AppendLine(Inv, $"| {group.Key.Scenario.Label} | {group.Key.Target} | {Stats.Median(group.Select(r => r.Wrk.Rps)):F0} | {wrk:F0} | {upstream:F0} | " +
                $"{(double.IsNaN(gateway) ? "" : gateway.ToString("F0", Inv))} | {azurite:F0} | {machine:F0} | {limit} | {group.Max(r => r.Load):F1} |");
        }
        md.AppendLine();
    }

    private void StreamsSection(StringBuilder md)
    {
        if (StreamRuns.Count == 0)
        {
            return;
        }
        md.AppendLine("## Open streams");
        md.AppendLine();
        md.AppendLine(Inv, $"Streams of a model's shape held open at once: the fake upstream sends its first event 300 ms after the request, " +
            $"then a content chunk every 30 ms (100 ms at 4,000), 20–60 s of them (random, seeded: the same sequence on every target), usage " +
            $"in the last event. The client opens the streams over a ramp (200 a second), starts a new one as each ends, and cuts the rest " +
            $"after a {options.StreamsWindow.TotalSeconds:F0} s window. Sluice is one fresh local-host process (defaults, metering to Azurite), " +
            $"the same process for every level. TTFB is from the request's start to its first body byte; a gap is the time between two reads " +
            $"that carried data (nominally the chunk interval). RSS per stream = (peak − RSS before the level) / streams. CPU in % of one core " +
            $"over the window after the ramp. GC paused = share of that window the gateway stood still for garbage collection (every stream " +
            $"and every new request waits through a pause); pool = its thread pool's most threads / most queued work items in the window.");
        md.AppendLine();
        md.AppendLine("| streams | chunk every | target | started / completed / errors | TTFB p50 / p99 (ms) | gap p50 / p99 / p99.9 / max (ms) | added TTFB p50 / p99 | added gap p99 / p99.9 | RSS before → peak (MiB) | RSS per stream (KiB) | RSS at ramp end → window end (MiB) | gateway CPU (%) | GC paused (%) | pool threads / queue (max) | upstream / client / Azurite CPU (%) | load avg (1 min) |");
        md.AppendLine("|--:|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var r in StreamRuns)
        {
            var direct = StreamRuns.FirstOrDefault(d => d.Target == Target.Direct && d.Shape == r.Shape);
            var isGateway = r.Target != Target.Direct;
            var added = isGateway && direct is not null
                ? string.Create(Inv, $"{r.Ttfb.PercentileMs(50) - direct.Ttfb.PercentileMs(50):F2} / {r.Ttfb.PercentileMs(99) - direct.Ttfb.PercentileMs(99):F2}")
                : "";
            var addedGap = isGateway && direct is not null
                ? string.Create(Inv, $"{r.Gaps.PercentileMs(99) - direct.Gaps.PercentileMs(99):F2} / {r.Gaps.PercentileMs(99.9) - direct.Gaps.PercentileMs(99.9):F2}")
                : "";
            var (rampEnd, end) = r.RssDrift;
            md.AppendLine(Inv, $"| {r.Shape.Concurrent:N0} | {r.Shape.ChunkIntervalMs} ms | {r.Target} | {r.Started:N0} / {r.Completed:N0} / {r.Errors} | " +
                $"{r.Ttfb.PercentileMs(50):F2} / {r.Ttfb.PercentileMs(99):F2} | {r.Gaps.PercentileMs(50):F2} / {r.Gaps.PercentileMs(99):F2} / {r.Gaps.PercentileMs(99.9):F2} / {r.Gaps.MaxMs:F0} | " +
                $"{added} | {addedGap} | {(isGateway ? $"{r.BaselineRssKiB / 1024} → {r.PeakRssKiB / 1024}" : "")} | {(isGateway ? r.PerStreamKiB.ToString("F0", Inv) : "")} | " +
                $"{(isGateway ? $"{rampEnd / 1024} → {end / 1024}" : "")} | {(isGateway ? r.CpuPercent(s => s.GatewayTicks).ToString("F0", Inv) : "")} | " +
                $"{(isGateway ? r.GcPausedPercent.ToString("F0", Inv) : "")} | {(isGateway ? $"{r.PoolMax.Threads:F0} / {r.PoolMax.Queue:F0}" : "")} | " +
                $"{r.CpuPercent(s => s.UpstreamTicks):F0} / {r.CpuPercent(s => s.ClientTicks):F0} / {r.CpuPercent(s => s.AzuriteTicks):F0} | {r.Load:F1} |");
        }
        md.AppendLine();
        var sluice = StreamRuns.Where(r => r.Target == Target.Sluice).ToList();
        if (sluice.Count > 0)
        {
            md.AppendLine("What one Sluice process would carry on a 2,048 MB Flex instance (one core), from these figures: by memory, streams whose RSS " +
                "fits in half the instance (the other half headroom); by CPU, streams whose CPU fits in 70 % of one core (the CPU here is this " +
                "machine's, not a Flex core's).");
            md.AppendLine();
            md.AppendLine("| measured at | RSS per stream (KiB) | CPU per 1,000 streams (% of a core) | streams by memory (≤ 1,024 MiB) | streams by CPU (≤ 70 %) |");
            md.AppendLine("|--:|--:|--:|--:|--:|");
            foreach (var r in sluice)
            {
                var perThousand = r.CpuPercent(s => s.GatewayTicks) / r.Shape.Concurrent * 1000;
                md.AppendLine(Inv, $"| {r.Shape.Concurrent:N0} streams, a chunk every {r.Shape.ChunkIntervalMs} ms | {r.PerStreamKiB:F0} | {perThousand:F0} | " +
                    $"{(InstanceMiB / 2 - r.BaselineRssKiB / 1024.0) * 1024 / Math.Max(1, r.PerStreamKiB):N0} | {70 / perThousand * 1000:N0} |");
            }
            md.AppendLine();
        }
    }

    private void StreamTargetsSection(StringBuilder md)
    {
        var sluice = StreamRuns.Where(r => r.Target == Target.Sluice).ToList();
        var standardPeak = runs.Where(r => r.Target == Target.Sluice).Select(r => r.PeakRssMiB)
            .Concat(RateRuns.Where(r => r.Target == RateTargets.Sluice).Select(r => r.PeakRssMiB)).DefaultIfEmpty(double.NaN).Max();
        if (sluice.Count == 0 && double.IsNaN(standardPeak))
        {
            return;
        }
        md.AppendLine("### Targets for streams and memory (issue 19)");
        md.AppendLine();
        md.AppendLine("| Target | Measured | Met |");
        md.AppendLine("|---|--:|:-:|");
        foreach (var r in sluice.Where(r => r.Shape.Concurrent >= 1000))
        {
            var direct = StreamRuns.FirstOrDefault(d => d.Target == Target.Direct && d.Shape == r.Shape);
            var gap = direct is null ? double.NaN : r.Gaps.PercentileMs(99) - direct.Gaps.PercentileMs(99);
            md.AppendLine(Inv, $"| {r.Shape.Concurrent:N0} concurrent streams in one process: peak RSS ≤ 1 GiB | {r.PeakRssKiB / 1024} MiB | {Mark(r.PeakRssKiB <= 1024 * 1024)} |");
            md.AppendLine(Inv, $"| {r.Shape.Concurrent:N0} concurrent streams: added chunk-gap p99 ≤ 5 ms | {gap:F2} ms | {Mark(gap <= 5)} |");
            md.AppendLine(Inv, $"| {r.Shape.Concurrent:N0} concurrent streams: all completed or cut, no errors | {r.Errors} errors | {Mark(r.Errors == 0)} |");
            var (rampEnd, end) = r.RssDrift;
            var grown = (end - rampEnd) / 1024.0;
            md.AppendLine(Inv, $"| {r.Shape.Concurrent:N0} streams: memory flat in stream length (RSS at window end − at ramp end, streams aged 0 → up to {options.StreamsWindow.TotalSeconds:F0} s) | {grown:+0;-0} MiB | {Mark(grown <= Math.Max(16, 0.1 * (r.PeakRssKiB - r.BaselineRssKiB) / 1024.0))} |");
        }
        if (!double.IsNaN(standardPeak))
        {
            md.AppendLine(Inv, $"| peak RSS of the local host under the standard load (constant-rate and closed-loop runs) ≤ 150 MiB | {standardPeak:F0} MiB " +
                $"(token estimator's vocabulary {(TokenizerLoaded ? "loaded, about 40 MiB of it" : "not loaded")}) | {Mark(standardPeak <= 150)} |");
        }
        md.AppendLine();
    }
}
