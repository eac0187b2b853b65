using Sluice.Wire;

namespace Sluice.Usage;

/// <summary>A usage row as <c>GET /v1/usage</c> and the export show it.</summary>
internal sealed record UsageRowView(
    string Id,
    string AccountId,
    string KeyId,
    string DataRegion,
    DateTimeOffset CreatedAt,
    string Model,
    string? Provider,
    string? RouteId,
    string? RouteRegion,
    string? RouteRetention,
    string? UpstreamModel,
    int PromptTokens,
    int CompletionTokens,
    int TotalTokens,
    long CostNanoUsd,
    double LatencyMs,
    double? TimeToFirstTokenMs,
    int Status,
    string? ErrorCode,
    bool Streamed,
    bool UsageEstimated,
    string? ContentBlob,
    string? ContentExpiresOn,
    string Endpoint,
    int CachedTokens,
    int CacheCreationTokens,
    int ReasoningTokens)
{
    public static UsageRowView From(UsageRecord r) => new(
        r.RequestId.Value, r.AccountId, r.KeyId, r.DataRegion, r.RequestId.CreatedAt, r.Model, r.Provider, r.RouteId, r.RouteRegion,
        r.RouteRetention, r.UpstreamModel, r.PromptTokens, r.CompletionTokens, r.TotalTokens, r.CostNanoUsd, r.LatencyMs,
        r.TimeToFirstTokenMs, r.Status, r.ErrorCode, r.Streamed, r.UsageEstimated, r.ContentBlob, r.ContentExpiresOn,
        r.Endpoint ?? UsageCounter.DefaultEndpoint, r.CachedTokens, r.CacheCreationTokens, r.ReasoningTokens);
}

/// <summary>A daily rollup as the API and the export show it.</summary>
internal sealed record RollupView(string Day, string Model, string Endpoint, long Requests, long PromptTokens, long CompletionTokens, long TotalTokens,
    long CostNanoUsd, long Errors, long Estimated, bool Materialized)
{
    public static RollupView From(DailyRollup r) => new(
        r.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), r.Model, r.Endpoint, r.Requests, r.PromptTokens,
        r.CompletionTokens, r.TotalTokens, r.CostNanoUsd, r.Errors, r.Estimated, r.Materialized);
}
