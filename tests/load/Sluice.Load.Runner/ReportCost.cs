using System.Text;

namespace Sluice.Load;

/// <summary>Flex Consumption's on-demand prices the cost model uses, with where they come from. No internet here: they
/// are quoted, not fetched, and dated so a reader knows how old they are.</summary>
internal static class FlexPrices
{
    /// <summary>On-demand execution time, per GB-second of instance memory while the instance runs any execution.</summary>
    public const double PerGbSecond = 0.000026;

    /// <summary>On-demand executions, per million.</summary>
    public const double PerMillionExecutions = 0.40;

    public const string Source =
        "Flex Consumption on-demand, pay-as-you-go, East US, USD: $0.000026 per GB-s of execution time as quoted from the Azure Functions " +
        "pricing page by modal.com's \"Azure Functions pricing: Consumption vs. Flex Consumption\" (2025-05-22); $0.40 per million " +
        "executions is the pricing page's figure as last known to this project, not confirmed from a stored source here (it is under 3 % " +
        "of the total at concurrency 16). Billing per instance, not per execution: memory is billed while an instance runs any execution " +
        "[doc \"Estimating consumption-based costs\", Flex billing table, 2024-11-05]. Free monthly grants left out (a marginal cost).";
}

/// <summary>The report's cost model: what a million streamed requests cost on Flex at a per-instance concurrency.</summary>
internal sealed partial class Report
{
    /// <summary>The stream length the issue prices: five seconds.</summary>
    public const double StreamSeconds = 5;

    /// <summary>Flex's 2,048 MB instance has one core; the share of it the streams may use, the rest headroom.</summary>
    private const double CpuBudgetPercent = 70;

    /// <summary>Cost of one million <paramref name="seconds"/>-long streams when instances of <paramref name="instanceMb"/>
    /// each carry <paramref name="concurrency"/> of them at once (instances kept full: the billed floor).</summary>
    public static double CostPerMillion(double seconds, int concurrency, double instanceMb) =>
        1_000_000 * seconds / concurrency * (instanceMb / 1024) * FlexPrices.PerGbSecond + FlexPrices.PerMillionExecutions;

    /// <summary>Streams one 2,048 MB instance carries by this run's figures. On Flex every stream passes two processes: the
    /// Functions host forwards it to the worker with YARP's forwarder, so the YARP hop's figures at the same level stand in
    /// for the host's and are added to Sluice's. The least of memory (half the instance) and CPU (70 % of its core, over the
    /// levels streamed at the 30 ms chunk interval), in hundreds, at most the most streams held in this run and
    /// Flex's 1,000.</summary>
    private (int Concurrency, double ByMemory, double ByCpu)? SupportedConcurrency()
    {
        var levels = StreamRuns.Where(r => r.Target == Target.Sluice && r.Errors == 0)
            .Select(sluice => (Sluice: sluice, Host: StreamRuns.FirstOrDefault(y => y.Target == Target.Yarp && y.Shape == sluice.Shape)))
            .ToList();
        var dense = levels.Where(l => l.Sluice.Shape.ChunkIntervalMs <= 30).ToList();
        if (dense.Count == 0)
        {
            return null;
        }
        static double Both(OpenStreamsResult sluice, OpenStreamsResult? host, Func<OpenStreamsResult, double> f) =>
            f(sluice) + (host is null ? 0 : f(host));
        var byMemory = levels.Min(l => (InstanceMiB / 2 - Both(l.Sluice, l.Host, r => r.BaselineRssKiB / 1024.0)) * 1024
            / Math.Max(1, Both(l.Sluice, l.Host, r => r.PerStreamKiB)));
        var byCpu = dense.Min(l => CpuBudgetPercent / (Both(l.Sluice, l.Host, r => r.CpuPercent(s => s.GatewayTicks)) / l.Sluice.Shape.Concurrent));
        var limit = Math.Min(Math.Min(Math.Min(byMemory, byCpu), levels.Max(l => l.Sluice.Shape.Concurrent)), FlexMaxConcurrency);
        return ((int)(Math.Floor(limit / 100) * 100), byMemory, byCpu);
    }

    /// <summary>The largest <c>perInstanceConcurrency</c> Flex takes (the template's <c>@maxValue</c>).</summary>
    private const int FlexMaxConcurrency = 1000;

    private void CostSection(StringBuilder md)
    {
        if (SupportedConcurrency() is not { } found)
        {
            return;
        }
        var (supported, byMemory, byCpu) = found;
        md.AppendLine("## Cost per million streamed requests on Flex");
        md.AppendLine();
        md.AppendLine(Inv, $"A {StreamSeconds:F0} s stream holds one slot of `httpPerInstanceConcurrency` for its whole length, and Flex bills an " +
            $"on-demand instance's whole memory while any execution runs on it, so a million streams cost at least " +
            $"1,000,000 × {StreamSeconds:F0} s / concurrency × instance GB × price per GB-s, plus the per-execution charge. " +
            $"Concurrency this run supports on a 2,048 MB instance, counting Sluice and, for the Functions host that forwards each " +
            $"stream to the worker, the YARP hop at the same level: by memory (half the instance for streams) {byMemory:N0}, by CPU " +
            $"({CpuBudgetPercent:F0} % of its one core at the 30 ms chunk interval, measured on this machine's cores) {byCpu:N0}; the " +
            $"least, in hundreds, no more streams than this run held and no more than Flex's {FlexMaxConcurrency:N0}: **{supported:N0}**.");
        md.AppendLine();
        md.AppendLine("| concurrency per instance | instance | instance-seconds per million | GB-s per million | execution time | executions | cost per million streams |");
        md.AppendLine("|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var concurrency in new[] { 16, supported }.Distinct())
        {
            const double instanceMb = 2048;
            var instanceSeconds = 1_000_000 * StreamSeconds / concurrency;
            var gbSeconds = instanceSeconds * instanceMb / 1024;
            md.AppendLine(Inv, $"| {concurrency:N0} | {instanceMb:F0} MB | {instanceSeconds:N0} | {gbSeconds:N0} | ${gbSeconds * FlexPrices.PerGbSecond:F2} | " +
                $"${FlexPrices.PerMillionExecutions:F2} | **${CostPerMillion(StreamSeconds, concurrency, instanceMb):F2}** |");
        }
        md.AppendLine();
        md.AppendLine("Prices: " + FlexPrices.Source);
        md.AppendLine();
    }
}
