using System.Globalization;

namespace Sluice.Usage;

/// <summary>
/// An account's usage for whole UTC days <see cref="First"/> to <see cref="Last"/>, by day and model, as the
/// dashboard's Usage page and its CSV show it: <see cref="RollupTable.TotalsAsync"/>, the totals <c>GET /v1/usage</c>
/// returns (materialised rollups, and the live counters of the days not rolled up yet, such as today).
/// </summary>
public sealed record UsageReport(DateOnly First, DateOnly Last, IReadOnlyList<DailyRollup> Rows)
{
    public static async Task<UsageReport> ReadAsync(RollupTable rollups, string accountId, DateOnly first, DateOnly last, CancellationToken cancellationToken) =>
        new(first, last, await rollups.TotalsAsync(accountId, first, last, cancellationToken));

    /// <summary>Every day of the range, oldest first, with zeros for a day without requests.</summary>
    public IReadOnlyList<UsageTotal> ByDay => _byDay ??= Days().Select(day => Sum(Format(day), Rows.Where(r => r.Day == day))).ToList();

    /// <summary>Each model used in the range, the most expensive (then the most requested) first.</summary>
    public IReadOnlyList<UsageTotal> ByModel => _byModel ??= Rows.GroupBy(r => r.Model, StringComparer.Ordinal)
        .Select(g => Sum(g.Key, g))
        .OrderByDescending(t => t.CostNanoUsd).ThenByDescending(t => t.Requests).ThenBy(t => t.Label, StringComparer.Ordinal)
        .ToList();

    public UsageTotal Total => Sum("Total", Rows);

    private IReadOnlyList<UsageTotal>? _byDay;
    private IReadOnlyList<UsageTotal>? _byModel;

    private IEnumerable<DateOnly> Days()
    {
        for (var day = First; day <= Last; day = day.AddDays(1))
        {
            yield return day;
        }
    }

    private static UsageTotal Sum(string label, IEnumerable<DailyRollup> rows)
    {
        long requests = 0, prompt = 0, completion = 0, cost = 0, errors = 0;
        foreach (var r in rows)
        {
            (requests, prompt, completion, cost, errors) =
                (requests + r.Requests, prompt + r.PromptTokens, completion + r.CompletionTokens, cost + r.CostNanoUsd, errors + r.Errors);
        }
        return new UsageTotal(label, requests, prompt, completion, cost, errors);
    }

    public static string Format(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A cost in nano-dollars as US dollars, exactly (at most nine decimals, no trailing zeros).</summary>
    public static string Usd(long nanoUsd) => (nanoUsd / 1_000_000_000m).ToString("0.#########", CultureInfo.InvariantCulture);
}

/// <summary>Requests, tokens and cost of one day or one model.</summary>
public sealed record UsageTotal(string Label, long Requests, long PromptTokens, long CompletionTokens, long CostNanoUsd, long Errors)
{
    public long TotalTokens => PromptTokens + CompletionTokens;
}
