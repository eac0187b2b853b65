using System.Globalization;

namespace Sluice.Load;

/// <summary>The constant-rate runs' targets, by name.</summary>
internal static class RateTargets
{
    public const string Direct = "(a) direct";
    public const string Yarp = "(b) YARP hop";
    public const string Sluice = "(c) Sluice";
    public const string FunctionsSetting = "(c′) Sluice, Functions setting";

    /// <summary>The fair-use pair (<c>--no-fair-use</c> drops it): the same build with fair use off, and with budgets and
    /// both rate limits in force on every key and account (high enough never to refuse), so their difference is the
    /// request-path cost of the limit checks.</summary>
    public const string LimitsOff = "(f0) Sluice, limits off";
    public const string LimitsOn = "(f1) Sluice, limits on";

    /// <summary>The A/B target: this build with other environment settings.</summary>
    public static string Variant(IReadOnlyDictionary<string, string> settings, int? number = null) =>
        $"(c″{number}) Sluice, " + string.Join(", ", settings.Select(kv => $"{kv.Key}={kv.Value}"));
}

/// <summary>A target of the constant-rate runs: where requests go and which process serves them.</summary>
internal sealed record RateTarget(string Name, Target Kind, Uri Url, ChildProcess Process);

/// <summary>One constant-rate run of one target, with what the gateway, Azurite and the usage meter did meanwhile.</summary>
internal sealed record RateRun(int Round, bool Stream, double Rate, string Target, OpenLoopResult Result, double GatewayCpuMsPerRequest,
    double AzuriteCpuPercent, double? RowsPerSecond, double? QueueWaits, double? MaxQueued, double? GcPauses, double? GcPauseTotalMs, double? GcPausesOver1Ms, double PeakRssMiB,
    double MachineBusyPercent)
{
    /// <summary>The machine's 1-minute load average as the run ended.</summary>
    public double Load { get; init; } = LoadAverage.Now();

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"round {Round} {(Stream ? "stream" : "json  ")} {Rate,5:F0}/s {Target,-22} ok {Result.AchievedRate,6:F0}/s  p50 {Result.Latency.PercentileMs(50),7:F3}  p99 {Result.Latency.PercentileMs(99),7:F3}  p99.9 {Result.Latency.PercentileMs(99.9),7:F3}  max {Result.Latency.MaxMs,7:F1} ms  err {Result.Errors}  lag p99 {Result.Lag.PercentileMs(99):F3}  rows/s {RowsPerSecond:F0}  waits {QueueWaits:F0}  azurite {AzuriteCpuPercent:F0}%  gc {GcPauses:F0} pauses, {GcPauseTotalMs:F1} ms, {GcPausesOver1Ms:F0} > 1 ms  machine {MachineBusyPercent:F0}%");
}

/// <summary>
/// Open-loop runs at fixed rates: each target in turn (rotated per round, so none always follows the same one), JSON
/// answers and 24-chunk streams, every rate, from one client (<see cref="OpenLoop"/>) per target whose connections stay
/// warm between runs.
/// </summary>
internal static class RatePhase
{
    public static async Task<List<RateRun>> RunAsync(IReadOnlyList<RateTarget> targets, string key, int[] rates, TimeSpan duration, int rounds,
        int azuritePid)
    {
        var clients = targets.ToDictionary(t => t.Name, t => new OpenLoop(t.Url, key));
        var bodies = new[] { LoadClient.Body(stream: false, chunks: 24), LoadClient.Body(stream: true, chunks: 24) };
        try
        {
            // Warm-up: connections, JIT at the rates to come, the key cache.
            foreach (var target in targets)
            {
                foreach (var body in bodies)
                {
                    await clients[target.Name].RunAsync(rates.Max(), TimeSpan.FromSeconds(3), body);
                }
            }
            var runs = new List<RateRun>();
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var stream in new[] { false, true })
                {
                    foreach (var rate in rates)
                    {
                        for (var t = 0; t < targets.Count; t++)
                        {
                            var target = targets[(t + round - 1) % targets.Count];
                            var process = target.Process;
                            await Task.Delay(500);
                            ProcStats.ResetPeak(process.Pid);
                            var before = process.Stats();
                            var azuriteBefore = ProcStats.Read(azuritePid).CpuTicks;
                            var probeBefore = process.Probe();
                            var machineBefore = MachineCpu.Read();
                            var sampler = RssSampler.Start(process.Pid, target.Kind == Target.Sluice ? process.ProbeFile : null);
                            var result = await clients[target.Name].RunAsync(rate, duration, bodies[stream ? 1 : 0]);
                            await sampler.DisposeAsync();
                            var machineAfter = MachineCpu.Read();
                            var after = process.Stats();
                            var azuriteAfter = ProcStats.Read(azuritePid).CpuTicks;
                            var probeAfter = process.Probe();
                            var seconds = duration.TotalSeconds;
                            var sluice = target.Kind == Target.Sluice && !probeAfter.IsEmpty;
                            var run = new RateRun(round, stream, rate, target.Name, result,
                                (after.CpuTicks - before.CpuTicks) * 1000 / ProcStats.TicksPerSecond / Math.Max(1, result.Sent),
                                (azuriteAfter - azuriteBefore) / ProcStats.TicksPerSecond / seconds * 100,
                                sluice ? probeAfter.Since(probeBefore, "sluice.usage.rows.committed") / seconds : null,
                                sluice ? probeAfter.Since(probeBefore, "sluice.usage.queue.waits") : null,
                                sluice ? sampler.MaxQueued : null,
                                probeAfter.IsEmpty ? null : probeAfter.Since(probeBefore, "gc.pauses"),
                                probeAfter.IsEmpty ? null : probeAfter.Since(probeBefore, "gc.pause.total_ms"),
                                probeAfter.IsEmpty ? null : probeAfter.Since(probeBefore, "gc.pauses.over_1ms"),
                                after.PeakRssKiB / 1024.0,
                                MachineCpu.BusyPercentOfCore(machineBefore, machineAfter));
                            runs.Add(run);
                            Console.WriteLine(run.Describe());
                        }
                    }
                }
            }
            return runs;
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }
    }
}
