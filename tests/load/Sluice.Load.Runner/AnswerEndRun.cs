using System.Globalization;
using System.Text;
using Sluice.Wire;

namespace Sluice.Load;

/// <summary>
/// What holding the end of each answer until its usage row is committed costs and buys, in one run against the same
/// fake upstream and Azurite: Sluice in the Functions app's metering setting (every request waits for its row) with
/// the hold on (the default) and off (the order before it), and the local host's own default (rows queued, committed
/// after the answer). Cost: latency to the last byte and to the first, at 1 and 32 concurrent clients, half of the
/// requests streamed, settings interleaved and rotated per round. What it buys: a SIGKILL 2 s into a 32-client run, and
/// the answered requests that have no row afterwards.
/// </summary>
internal static class AnswerEndRun
{
    private static readonly (string Name, Dictionary<string, string> Settings)[] s_settings =
    [
        ("Functions setting, end held until the row commits (default)", new()
        {
            ["Sluice__Usage__WaitForCommit"] = "true", ["Sluice__Usage__GatherDelay"] = "00:00:00", ["Sluice__Usage__HoldAnswerEndUntilCommit"] = "true",
        }),
        ("Functions setting, end not held (the order before)", new()
        {
            ["Sluice__Usage__WaitForCommit"] = "true", ["Sluice__Usage__GatherDelay"] = "00:00:00", ["Sluice__Usage__HoldAnswerEndUntilCommit"] = "false",
        }),
        ("local host default (rows queued; GatherDelay 50 ms)", new()),
    ];

    private sealed record Latency(int Round, string Setting, string Clients, double JsonP50, double JsonP99, double StreamP50, double StreamP99,
        double TtfbP50, double TtfbP99, int Errors);

    private sealed record Crash(string Setting, int Sent, int Answered, int Rows, int Missing);

    public static async Task<string> RunAsync(LoadStack stack, int rounds, Func<string, Task<(string AccountId, string Key)>> createAccount)
    {
        var started = DateTime.UtcNow;
        var loadBefore = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        var (_, key) = await createAccount("answer-end");
        var plain = LoadClient.Body(stream: false, chunks: 24);
        var streamed = LoadClient.Body(stream: true, chunks: 24);
        byte[] Mixed(int i) => i % 2 == 0 ? plain : streamed;

        var latencies = new List<Latency>();
        for (var round = 1; round <= rounds; round++)
        {
            for (var s = 0; s < s_settings.Length; s++)
            {
                var (name, settings) = s_settings[(s + round - 1) % s_settings.Length];
                await stack.StartSluiceAsync(settings);
                using var client = new LoadClient(stack.SluiceUrl, key);
                using var closing = new LoadClient(stack.SluiceUrl, key, newConnectionEachRequest: true);
                await client.RunAsync(3000, 32, Mixed);
                // Kept-alive connections (as SDKs use them), where a request can wait for the previous one's row, and a
                // new connection per request, where it cannot: the hold's own cost.
                foreach (var (label, runner, clients, total) in new[] { ("1", client, 1, 600), ("32", client, 32, 32 * 120), ("1, new connection each", closing, 1, 600) })
                {
                    var samples = await runner.RunAsync(total, clients, Mixed);
                    var json = samples.Where((x, i) => i % 2 == 0 && x.Status == 200).ToArray();
                    var streams = samples.Where((x, i) => i % 2 == 1 && x.Status == 200).ToArray();
                    latencies.Add(new Latency(round, name, label,
                        Stats.Percentile(json.Select(x => x.TotalMs), 50), Stats.Percentile(json.Select(x => x.TotalMs), 99),
                        Stats.Percentile(streams.Select(x => x.TotalMs), 50), Stats.Percentile(streams.Select(x => x.TotalMs), 99),
                        Stats.Percentile(streams.Select(x => x.TtfbMs), 50), Stats.Percentile(streams.Select(x => x.TtfbMs), 99),
                        samples.Count(x => x.Status != 200)));
                    Console.WriteLine(latencies[^1]);
                }
            }
        }

        var crashes = new List<Crash>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (name, settings) in s_settings)
            {
                var (accountId, crashKey) = await createAccount($"kill-{round}-{crashes.Count}");
                var sluice = await stack.StartSluiceAsync(settings);
                using var client = new LoadClient(stack.SluiceUrl, crashKey);
                const int sent = 30_000;
                var load = client.RunAsync(sent, 32, Mixed);
                await Task.Delay(TimeSpan.FromSeconds(2));
                sluice.Kill();
                await sluice.WaitForExitAsync(TimeSpan.FromSeconds(30));
                var answered = (await load).Where(x => x.Status != 0).ToArray();
                // Let storage finish transactions that were already sent when the process died: they count.
                await Task.Delay(TimeSpan.FromSeconds(1));
                var rows = await UsageCount.ReadAsync(stack.Usage, accountId);
                crashes.Add(new Crash(name, sent, answered.Length, rows.Rows,
                    answered.Count(x => x.RequestId is null || !rows.RequestIds.Contains(x.RequestId))));
                Console.WriteLine(crashes[^1]);
            }
        }
        return Markdown(latencies, crashes, rounds, started, loadBefore);
    }

    private static string Markdown(List<Latency> latencies, List<Crash> crashes, int rounds, DateTime started, string loadBefore)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# Holding the end of an answer until its usage row is committed");
        md.AppendLine();
        md.AppendLine(inv, $"{started:yyyy-MM-dd HH:mm} UTC · {Environment.ProcessorCount} cores · load average before the run {loadBefore} · " +
            $"{rounds} rounds, settings interleaved and rotated per round · produced by `tests/load/run.sh --answer-end --rounds {rounds}`.");
        md.AppendLine();
        md.AppendLine("Sluice's local host (Release) with a route to the fake upstream (answers at once: the worst case for a fixed " +
            "added cost), metering to Azurite in memory on the same 2 cores. Each request as the harness's client sees it: " +
            "the time to the last byte of a JSON answer or a 24-chunk stream, and to the first byte of the stream. Half the requests " +
            "stream. Values are medians over rounds of each round's percentile; \"held − not held\" is taken within each round. " +
            "On a kept-alive HTTP/1.1 connection the server reads the next request only once the previous one's invocation has " +
            "ended, so without the hold the row's commit is paid at the start of the next request (its TTFB) instead of at the " +
            "end of its own; with a new connection per request nothing carries over, which shows the hold's own cost.");
        md.AppendLine();
        md.AppendLine("| Setting | clients | JSON p50 / p99 (ms) | stream p50 / p99 (ms) | stream TTFB p50 / p99 (ms) | non-2xx |");
        md.AppendLine("|---|---|--:|--:|--:|--:|");
        foreach (var group in latencies.GroupBy(l => (l.Setting, l.Clients)))
        {
            md.AppendLine(inv, $"| {group.Key.Setting} | {group.Key.Clients} | {M(group, l => l.JsonP50):F2} / {M(group, l => l.JsonP99):F2} | " +
                $"{M(group, l => l.StreamP50):F2} / {M(group, l => l.StreamP99):F2} | {M(group, l => l.TtfbP50):F2} / {M(group, l => l.TtfbP99):F2} | " +
                $"{group.Sum(l => l.Errors)} |");
        }
        md.AppendLine();
        md.AppendLine("| Added by the hold (held − not held, Functions setting) | clients | JSON p50 / p99 (ms) | stream p50 / p99 (ms) | stream TTFB p50 (ms) |");
        md.AppendLine("|---|---|--:|--:|--:|");
        foreach (var clients in latencies.Select(l => l.Clients).Distinct())
        {
            var held = latencies.Where(l => l.Clients == clients && l.Setting == s_settings[0].Name).ToDictionary(l => l.Round);
            var before = latencies.Where(l => l.Clients == clients && l.Setting == s_settings[1].Name).ToDictionary(l => l.Round);
            double D(Func<Latency, double> f) => Stats.Median(held.Keys.Where(before.ContainsKey).Select(r => f(held[r]) - f(before[r])));
            md.AppendLine(inv, $"| | {clients} | {D(l => l.JsonP50):+0.00;-0.00} / {D(l => l.JsonP99):+0.00;-0.00} | " +
                $"{D(l => l.StreamP50):+0.00;-0.00} / {D(l => l.StreamP99):+0.00;-0.00} | {D(l => l.TtfbP50):+0.00;-0.00} |");
        }
        md.AppendLine();
        md.AppendLine("SIGKILL 2 s into a run of 32 clients (30,000 requests offered, half streamed): requests answered whole " +
            "(a JSON body of its full length, a stream to its end) and those of them without a usage row afterwards.");
        md.AppendLine();
        md.AppendLine("| Setting | run | answered | usage rows | answered without a row |");
        md.AppendLine("|---|--:|--:|--:|--:|");
        foreach (var group in crashes.GroupBy(c => c.Setting))
        {
            var run = 0;
            foreach (var c in group)
            {
                md.AppendLine(inv, $"| {c.Setting} | {++run} | {c.Answered:N0} | {c.Rows:N0} | {c.Missing} |");
            }
        }
        return md.ToString();

        static double M(IEnumerable<Latency> rows, Func<Latency, double> f) => Stats.Median(rows.Select(f));
    }
}
