using Sluice.Wire;

namespace Sluice.Usage;

/// <summary>
/// The metadata of one request: who, which model and route, how many tokens, what it cost, how long it took and
/// how it ended. Never any prompt or completion text; <see cref="ContentBlob"/> only names where opted-in,
/// encrypted content lives.
/// </summary>
public sealed record UsageRecord
{
    public required RequestId RequestId { get; init; }
    public required string AccountId { get; init; }
    public required string KeyId { get; init; }
    public required string DataRegion { get; init; }

    /// <summary>The API shape that served the request (<c>Surface.Endpoint</c>): <c>chat.completions</c>,
    /// <c>messages</c>, <c>embeddings</c>, … Null on rows written before the gateway served several.</summary>
    public string? Endpoint { get; init; }

    /// <summary>The model the client asked for.</summary>
    public required string Model { get; init; }

    public string? Provider { get; init; }
    public string? RouteId { get; init; }
    public string? RouteRegion { get; init; }
    public string? RouteRetention { get; init; }
    public string? UpstreamModel { get; init; }

    public int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }
    public int TotalTokens => PromptTokens + CompletionTokens;
    public long CostNanoUsd { get; init; }

    /// <summary>Prompt tokens read from the provider's cache (part of <see cref="PromptTokens"/>).</summary>
    public int CachedTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's cache (Anthropic's cache creation; part of <see cref="PromptTokens"/>).</summary>
    public int CacheCreationTokens { get; init; }

    /// <summary>Completion tokens the model spent reasoning (part of <see cref="CompletionTokens"/>).</summary>
    public int ReasoningTokens { get; init; }

    /// <summary>Milliseconds from the request's arrival to the last byte sent.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Milliseconds to the first streamed token (streams only).</summary>
    public double? TimeToFirstTokenMs { get; init; }

    public required int Status { get; init; }

    /// <summary>A short machine code for a failure (<c>upstream_timeout</c>, <c>client_disconnected</c>, an upstream's
    /// sanitised error code); never a message.</summary>
    public string? ErrorCode { get; init; }

    public bool Streamed { get; init; }
    public bool UsageEstimated { get; init; }

    public string? ContentBlob { get; init; }
    public string? ContentExpiresOn { get; init; }

    /// <summary>Storage refused the row as it was, so it was written in its fallback form: every text field replaced
    /// by a short printable stand-in (see <see cref="UsageTable.Fallback"/>); tokens, cost and status are the request's.</summary>
    public bool StorageFallback { get; init; }

    public bool IsError => Status >= 400;
}
