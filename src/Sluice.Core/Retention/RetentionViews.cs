using Sluice.Accounts;
using Sluice.Wire;

namespace Sluice.Retention;

/// <summary><c>PUT /v1/account/retention</c>: any field left out keeps its current value. An unknown field is refused
/// (a misspelt setting must not be silently ignored).</summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record RetentionSettingsRequest(string? ContentMode, int? ContentRetentionDays, int? UsageRetentionDays);

/// <summary>An account's retention settings with the bounds this deployment allows.</summary>
public sealed record RetentionSettingsView(string ContentMode, int ContentRetentionDays, int UsageRetentionDays, RetentionLimitsView Limits);

public sealed record RetentionLimitsView(DayRange ContentRetentionDays, DayRange UsageRetentionDays, int RollupRetentionDays,
    IReadOnlyList<string> RequestHeaders);

public sealed record DayRange(int Min, int Max);

/// <summary><c>DELETE /v1/account/content</c> and <c>DELETE /v1/requests/{id}</c>.</summary>
public sealed record ContentErasureView(string Object, string AccountId, string? RequestId, long DataKeysDestroyed, long BlobsDeleted, bool Remaining);
