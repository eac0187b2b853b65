namespace Sluice.Usage;

/// <summary>
/// One account's totals for one model and one surface on one UTC day: what billing needs, and nothing else (no content, no key
/// material). <see cref="Materialized"/> tells a day whose rollup row is written (the day is closed) from a day
/// still summed from its live counters.
/// </summary>
public sealed record DailyRollup(DateOnly Day, string Model, long Requests, long PromptTokens, long CompletionTokens,
    long CostNanoUsd, long Errors, long Estimated, bool Materialized)
{
    /// <summary>The surface that served these requests (<see cref="UsageRecord.Endpoint"/>); Chat Completions for
    /// rollups written before the breakdown.</summary>
    public string Endpoint { get; init; } = UsageCounter.DefaultEndpoint;

    public long TotalTokens => PromptTokens + CompletionTokens;
}
