using Azure;
using Azure.Data.Tables;

namespace Sluice.Usage;

/// <summary>
/// Running totals of one model in one usage partition, kept in the same partition as the rows and updated in
/// the same transaction, so they cannot drift from the rows: not with retries, not with concurrent writers.
/// Daily rollups are the sum of a day's counters.
/// </summary>
public sealed record UsageCounter(string Model, long Requests, long PromptTokens, long CompletionTokens, long CostNanoUsd, long Errors, long Estimated)
{
    /// <summary>Random per counter row, set when the row is first created. A purge that folds a counter into the
    /// daily rollup and deletes it can meet a late row (a stream that began before midnight) that re-creates the
    /// counter; the new generation is folded beside the old one instead of replacing it.</summary>
    public string Generation { get; init; } = "";

    public static UsageCounter Empty(string model) => new(model, 0, 0, 0, 0, 0, 0)
    {
        Generation = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)),
    };

    public UsageCounter Add(UsageRecord r) => this with
    {
        Requests = Requests + 1,
        PromptTokens = PromptTokens + r.PromptTokens,
        CompletionTokens = CompletionTokens + r.CompletionTokens,
        CostNanoUsd = CostNanoUsd + r.CostNanoUsd,
        Errors = Errors + (r.IsError ? 1 : 0),
        Estimated = Estimated + (r.UsageEstimated ? 1 : 0),
    };

    public TableEntity ToEntity(string partitionKey, string rowKey, ETag etag) => new(partitionKey, rowKey)
    {
        ["Model"] = Model,
        ["Requests"] = Requests,
        ["PromptTokens"] = PromptTokens,
        ["CompletionTokens"] = CompletionTokens,
        ["CostNanoUsd"] = CostNanoUsd,
        ["Errors"] = Errors,
        ["Estimated"] = Estimated,
        ["Generation"] = Generation,
        ETag = etag,
    };

    public static UsageCounter FromEntity(TableEntity e) => new(
        e.GetString("Model") ?? "",
        e.GetInt64("Requests") ?? 0,
        e.GetInt64("PromptTokens") ?? 0,
        e.GetInt64("CompletionTokens") ?? 0,
        e.GetInt64("CostNanoUsd") ?? 0,
        e.GetInt64("Errors") ?? 0,
        e.GetInt64("Estimated") ?? 0)
    {
        Generation = e.GetString("Generation") ?? "",
    };
}
