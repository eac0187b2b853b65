using System.Text;

namespace Sluice.Load;

/// <summary>The report's fair-use section (issue 18): the request-path cost of budget and rate-limit checks.</summary>
internal sealed partial class Report
{
    /// <summary>Median over rounds of (limits on − limits off) in the same round.</summary>
    private double LimitsAdded(bool stream, double rate, Func<RateRun, double> value) =>
        Stats.Median(RateOf(stream, rate, RateTargets.LimitsOn).Select(on =>
            RateOf(stream, rate, RateTargets.LimitsOff).FirstOrDefault(off => off.Round == on.Round) is { } off ? value(on) - value(off) : double.NaN));

    private void FairUseSection(StringBuilder md)
    {
        if (!RateRuns.Any(r => r.Target == RateTargets.LimitsOn) || !RateRuns.Any(r => r.Target == RateTargets.LimitsOff))
        {
            return;
        }
        md.AppendLine("## Fair use: limits on vs off");
        md.AppendLine();
        md.AppendLine("The same build twice among the constant-rate targets: (f0) with fair use off (`Sluice__FairUse__Enabled=false`), " +
            "(f1) with daily and monthly budgets and requests- and tokens-per-minute limits in force on every key and account " +
            "(deployment defaults far above what the run sends, so nothing is refused and every check runs: budgets from memory, " +
            "rates from leased shares, a conditional write per lease). \"Added\" is (f1) − (f0) in the same round, then the median " +
            "over rounds; the load average beside it is the highest 1-minute figure seen at the end of those runs.");
        md.AppendLine();
        md.AppendLine("| Answer | rate (req/s) | off p50 (ms) | on p50 (ms) | added p50 (ms) | off p99 (ms) | on p99 (ms) | added p99 (ms) | errors on | load avg (1 min) |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var stream in RateRuns.Select(r => r.Stream).Distinct())
        {
            foreach (var rate in RateRuns.Select(r => r.Rate).Distinct())
            {
                double P(string target, double p) => MedianOf(stream, rate, target, r => r.Result.Latency.PercentileMs(p));
                var load = RateOf(stream, rate, RateTargets.LimitsOn).Concat(RateOf(stream, rate, RateTargets.LimitsOff)).Max(r => r.Load);
                md.AppendLine(Inv, $"| {Answer(stream)} | {rate:F0} | {P(RateTargets.LimitsOff, 50):F3} | {P(RateTargets.LimitsOn, 50):F3} | " +
                    $"{LimitsAdded(stream, rate, r => r.Result.Latency.PercentileMs(50)):F3} | {P(RateTargets.LimitsOff, 99):F3} | {P(RateTargets.LimitsOn, 99):F3} | " +
                    $"{LimitsAdded(stream, rate, r => r.Result.Latency.PercentileMs(99)):F3} | {RateOf(stream, rate, RateTargets.LimitsOn).Sum(r => r.Result.Errors)} | {load:F1} |");
            }
        }
        md.AppendLine();
    }
}
