using System.Globalization;
using System.Text;

namespace Sluice.Load;

internal sealed record RowCheck(string Run, long Sent, long Answered, int Rows, long CounterRequests, int? Missing, TimeSpan Waited);

internal sealed record MemoryCheck(int MegabytesPerStream, int Streams, int Completed, double ReceivedMiBPerStream, double BaselineRssMiB,
    double PeakRssMiB, TimeSpan Took)
{
    public double PerStreamMiB => (PeakRssMiB - BaselineRssMiB) / Streams;
}

/// <summary>Turns the runs into the Markdown table: medians over rounds, and differences and ratios taken within a
/// round (same run, same upstream) before their median is taken.</summary>
internal sealed partial class Report(RunOptions options, List<Run> runs, List<MeteringResult> metering, DateTime started, string loadBefore)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public List<RowCheck> Rows { get; } = [];
    public List<MemoryCheck> Memory { get; } = [];

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# Sluice load run");
        md.AppendLine();
        md.AppendLine(Inv, $"{started:yyyy-MM-dd HH:mm} UTC · {Environment.ProcessorCount} cores · load average (1/5/15 min, `uptime`) {loadBefore} before the run, {LoadAfter} after · " +
            $"{options.Rounds} rounds, targets interleaved · produced by `{options.CommandLine}`.");
        md.AppendLine();
        if (RateRuns.Count > 0)
        {
            RateSection(md);
            RateTargetsSection(md);
            FairUseSection(md);
        }
        if (runs.Count == 0)
        {
            StreamsSection(md);
            StreamTargetsSection(md);
            CostSection(md);
            md.Append(Notes);
            return md.ToString();
        }
        md.AppendLine("## Closed loop (wrk)");
        md.AppendLine();
        md.AppendLine("(a) = the fake OpenAI upstream directly, (b) = a bare YARP 2.3 forwarder hop to it, (c) = Sluice's local host (Release) " +
            "with a route to it, authenticating a real key and metering every request to Azurite (in memory, on the same machine). " +
            "Latencies are wrk's (whole response); TTFB is the time to the first body byte of a stream, from the harness's client. " +
            "Values are medians over rounds; c−a and the ratios are taken within each round, then the median. " +
            "CPU ms/request is the process's user+system time (from /proc) over the run divided by the requests wrk completed; " +
            "for Sluice the Azurite (node) CPU that metering costs is shown separately.");
        md.AppendLine();
        md.AppendLine("| Scenario | Metric | (a) direct | (b) YARP hop | (c) Sluice | c − a | c / a | c / b |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (var scenario in runs.Select(r => r.Scenario).Distinct())
        {
            var label = scenario.Label;
            Line(md, label, "requests/s", scenario, r => r.Wrk.Rps, "F0", diff: false);
            Line(md, label, "p50 latency (ms)", scenario, r => r.Wrk.P50Ms, "F3", diff: true);
            Line(md, label, "p99 latency (ms)", scenario, r => r.Wrk.P99Ms, "F3", diff: true);
            if (scenario.Stream)
            {
                Line(md, label, "TTFB p50 (ms)", scenario, r => r.TtfbP50Ms ?? double.NaN, "F3", diff: true);
                Line(md, label, "TTFB p99 (ms)", scenario, r => r.TtfbP99Ms ?? double.NaN, "F3", diff: true);
            }
            if (scenario.Connections > 1)
            {
                Line(md, label, "CPU ms/request (gateway process)", scenario, r => r.CpuMsPerRequest, "F3", diff: true, skipDirect: true);
                var azurite = Stats.Median(Of(scenario, Target.Sluice).Select(r => r.AzuriteCpuMsPerRequest ?? double.NaN));
                md.AppendLine(Inv, $"| {label} | + Azurite CPU ms/request (metering) | | | {azurite:F3} | | | |");
            }
            Line(md, label, "peak RSS (MiB, gateway process)", scenario, r => r.PeakRssMiB, "F0", diff: false, skipDirect: true, max: true);
            md.AppendLine(Inv, $"| {label} | at the highest peak: anon / file / shmem (MiB) |  | {Kinds(scenario, Target.Yarp)} | {Kinds(scenario, Target.Sluice)} | | | |");
            Line(md, label, "errors (non-2xx + socket)", scenario, r => r.Wrk.Errors, "F0", diff: false, sum: true);
        }
        md.AppendLine();
        SaturationCpuSection(md);
        Targets(md);
        md.AppendLine();
        StreamsSection(md);
        StreamTargetsSection(md);
        CostSection(md);
        if (metering.Count > 0)
        {
            md.AppendLine();
            Metering(md);
        }
        if (Rows.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## No usage row lost");
            md.AppendLine();
            md.AppendLine("Rows counted in the usage table by the account's PartitionKey range (`{account}|` … `{account}|~`); counters = sum of the " +
                "per-partition `~rollup|{model}` rows' `Requests`. \"answered without a row\" must be 0.");
            md.AppendLine();
            md.AppendLine("| Run | requests sent | answered (any status) | usage rows | counters sum | answered without a row | rows settled after |");
            md.AppendLine("|---|--:|--:|--:|--:|--:|--:|");
            foreach (var r in Rows)
            {
                md.AppendLine(Inv, $"| {r.Run} | {r.Sent:N0} | {r.Answered:N0} | {r.Rows:N0} | {r.CounterRequests:N0} | {(r.Missing is { } m ? m.ToString(Inv) : "n/a")} | {r.Waited.TotalSeconds:F1} s |");
            }
        }
        if (Memory.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Memory per open stream");
            md.AppendLine();
            md.AppendLine("8 concurrent streams through a fresh Sluice process per size (1,000-byte content chunks from the fake upstream); " +
                "peak = VmHWM during the streams, baseline = RSS after warm-up.");
            md.AppendLine();
            md.AppendLine("| Stream size | completed | received per stream (MiB) | baseline RSS (MiB) | peak RSS (MiB) | (peak − baseline) / stream (MiB) | took |");
            md.AppendLine("|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var m in Memory)
            {
                md.AppendLine(Inv, $"| {m.MegabytesPerStream} MB | {m.Completed}/{m.Streams} | {m.ReceivedMiBPerStream:F1} | {m.BaselineRssMiB:F0} | {m.PeakRssMiB:F0} | {m.PerStreamMiB:F2} | {m.Took.TotalSeconds:F1} s |");
            }
        }
        md.AppendLine();
        md.Append(Notes);
        return md.ToString();
    }

    /// <summary>What a reader needs to read the figures right.</summary>
    internal const string Notes = """
        ## Reading these figures

        - Noise: the machine has 2 cores shared by everything in the run (wrk, the client, the fake upstream, the hop,
          the gateway, Azurite) and by whatever else runs on it; the load average above says how busy it was. Compare the
          ratios and differences, which are taken within a round.
        - Throughput with rows persisted: Sluice's local host queues at most `Sluice:Usage:QueueCapacity` (2,000) rows,
          then requests wait for room, so its requests/s at c32 is the rate at which rows reach Azurite, not a burst into
          memory. (d) measures that rate with no HTTP at all; (c)/(d) near 1 means the proxy path is not what limits (c).
          Azurite (node, in memory) runs on the same 2 cores; in Azure the table service is not on the gateway's machine.
          Azurite keeps every row in memory and its CPU per row rises as the table grows over the run (the total written
          is in the rows table), so the ratios fall as the run goes on.
        - Peak RSS is VmHWM (reset before each run, read after its TTFB client too). The line under it splits the highest
          50 ms sample into anonymous memory (managed and native heaps, stacks, JIT data), file-backed pages (assemblies
          and native libraries mapped from disk, shared with every .NET process here) and shared memory (the JIT's
          double-mapped code). Compare the YARP hop's split; the memory table shows what streams add.
        - Streams: Sluice asks the upstream for the usage chunk (`stream_options.include_usage`) and drops it for clients
          that did not ask, so through Sluice the upstream sends one more event than through (a) or (b).
        - "rows settled after" for the large run includes counting its rows through Azurite's paged queries.

        """;

    private void Targets(StringBuilder md)
    {
        md.AppendLine("### Targets of the closed-loop runs (issue 6)");
        md.AppendLine();
        md.AppendLine("| Target | Measured | Met |");
        md.AppendLine("|---|--:|:-:|");
        var nsC32 = new Scenario("non-streaming", false, 32);
        var nsC1 = new Scenario("non-streaming", false, 1);
        var sC1 = new Scenario("streaming (24 chunks)", true, 1);
        var ratio = PerRound(nsC32, r => r.Wrk.Rps, (c, b) => c / b, Target.Yarp);
        var p50 = PerRound(nsC1, r => r.Wrk.P50Ms, (c, a) => c - a, Target.Direct);
        var ttfb = PerRound(sC1, r => r.TtfbP50Ms ?? double.NaN, (c, a) => c - a, Target.Direct);
        var peak = runs.Where(r => r.Target == Target.Sluice).Select(r => r.PeakRssMiB).Concat(Memory.Select(m => m.PeakRssMiB)).DefaultIfEmpty(double.NaN).Max();
        var ceiling = Stats.Median(metering.Select((d, i) => Of(nsC32, Target.Yarp).FirstOrDefault(r => r.Round == i + 1) is { } b
            ? d.RowsPerSecond / b.Wrk.Rps : double.NaN));
        var bound = metering.Count > 0 ? string.Create(Inv, $" (metering alone, (d): {ceiling * 100:F0} %)") : "";
        md.AppendLine(Inv, $"| non-streaming c32 ≥ 60 % of the YARP hop's requests/s, rows persisted | {ratio * 100:F0} %{bound} | {Mark(ratio >= 0.6)} |");
        md.AppendLine(Inv, $"| c1 added p50 ≤ 0.3 ms over direct | {p50:F3} ms | {Mark(p50 <= 0.3)} |");
        md.AppendLine(Inv, $"| stream TTFB ≤ 0.5 ms over direct (c1, p50) | {ttfb:F3} ms | {Mark(ttfb <= 0.5)} |");
        md.AppendLine(Inv, $"| peak RSS ≤ 150 MiB (all Sluice runs, memory runs included) | {peak:F0} MiB | {Mark(peak <= 150)} |");
        if (Memory.Count > 1)
        {
            var flat = Memory.Max(m => m.PeakRssMiB) - Memory.Min(m => m.PeakRssMiB);
            md.AppendLine(Inv, $"| memory per stream independent of length (peak spread 1→50 MB) | {flat:F0} MiB | {Mark(flat < 16)} |");
        }
        if (Rows.Count > 0)
        {
            var lost = Rows.Sum(r => r.Missing ?? 0) + Rows.Count(r => r.Missing is null && r.Rows < r.Answered);
            md.AppendLine(Inv, $"| no usage row lost (incl. SIGTERM mid-load) | {lost} lost | {Mark(lost == 0)} |");
            // Each row's counter is updated in the row's own transaction, so at rest they agree: a difference is a row
            // counted twice (a billing bug) or a counter that missed one.
            var drift = Rows.Sum(r => Math.Abs(r.CounterRequests - r.Rows));
            md.AppendLine(Inv, $"| counters equal rows at rest (no row counted twice or missed) | {drift} apart | {Mark(drift == 0)} |");
        }
    }

    /// <summary>What the highest sampled RSS of a target's runs in a scenario was made of.</summary>
    private string Kinds(Scenario s, Target t) => Of(s, t).MaxBy(r => r.PeakKinds.TotalKiB) is { } r
        ? string.Create(Inv, $"{r.PeakKinds.AnonKiB / 1024} / {r.PeakKinds.FileKiB / 1024} / {r.PeakKinds.ShmemKiB / 1024}")
        : "";

    private void Metering(StringBuilder md)
    {
        md.AppendLine("## Metering alone (d)");
        md.AppendLine();
        md.AppendLine("In each round, right after the non-streaming c32 runs: Sluice's `UsageMeter` with the local host's usage options, fed " +
            "rows in the harness's process by 32 callers as fast as it takes them, to the same Azurite, with no HTTP at all. Its rows/s is " +
            "the rate at which this storage takes the gateway's rows here; (c)/(d) near 1 means (c) runs as fast as its rows can be " +
            "stored (Azurite's table only grows, so (d), measured after (c), can come out a little lower). Its CPU and allocations per row " +
            "are what metering costs the gateway's process.");
        md.AppendLine();
        md.AppendLine("| Round | (d) rows/s | meter CPU ms/row | meter allocated KiB/row | Azurite CPU ms/row | (c) Sluice c32 requests/s | c / d | (b) YARP c32 requests/s | d / b |");
        md.AppendLine("|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        var nsC32 = new Scenario("non-streaming", false, 32);
        for (var i = 0; i < metering.Count; i++)
        {
            var d = metering[i];
            var c = Of(nsC32, Target.Sluice).FirstOrDefault(r => r.Round == i + 1)?.Wrk.Rps ?? double.NaN;
            var b = Of(nsC32, Target.Yarp).FirstOrDefault(r => r.Round == i + 1)?.Wrk.Rps ?? double.NaN;
            md.AppendLine(Inv, $"| {i + 1} | {d.RowsPerSecond:F0} | {d.CpuMsPerRow:F3} | {d.AllocatedKiBPerRow:F1} | {d.AzuriteCpuMsPerRow:F3} | {c:F0} | {c / d.RowsPerSecond:F2} | {b:F0} | {d.RowsPerSecond / b:F2} |");
        }
    }

    private static string Mark(bool met) => met ? "yes" : "**no**";

    private IEnumerable<Run> Of(Scenario s, Target t) => runs.Where(r => r.Scenario == s && r.Target == t);

    private double PerRound(Scenario s, Func<Run, double> value, Func<double, double, double> combine, Target against) =>
        Stats.Median(Of(s, Target.Sluice).Select(c => Of(s, against).FirstOrDefault(o => o.Round == c.Round) is { } o
            ? combine(value(c), value(o)) : double.NaN));

    private void Line(StringBuilder md, string label, string metric, Scenario s, Func<Run, double> value, string format, bool diff,
        bool skipDirect = false, bool max = false, bool sum = false)
    {
        string Agg(Target t)
        {
            if (skipDirect && t == Target.Direct)
            {
                return "";
            }
            var values = Of(s, t).Select(value).ToList();
            var v = sum ? values.Sum() : max ? values.DefaultIfEmpty(double.NaN).Max() : Stats.Median(values);
            return v.ToString(format, Inv);
        }
        var minus = diff && !skipDirect ? PerRound(s, value, (c, a) => c - a, Target.Direct).ToString(format, Inv) : "";
        var overA = !skipDirect && !sum ? PerRound(s, value, (c, a) => c / a, Target.Direct).ToString("F2", Inv) : "";
        var overB = !sum ? PerRound(s, value, (c, b) => c / b, Target.Yarp).ToString("F2", Inv) : "";
        md.AppendLine(Inv, $"| {label} | {metric} | {Agg(Target.Direct)} | {Agg(Target.Yarp)} | {Agg(Target.Sluice)} | {minus} | {overA} | {overB} |");
    }
}
