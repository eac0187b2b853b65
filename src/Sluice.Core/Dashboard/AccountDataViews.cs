namespace Sluice.Dashboard;

/// <summary>What Settings → Policies shows: the account's retention and data policy as the API reads them, with the
/// deployment's limits and defaults.</summary>
public sealed record PolicySettings(
    string ContentMode,
    int ContentRetentionDays,
    int UsageRetentionDays,
    int MinContentRetentionDays,
    int MaxContentRetentionDays,
    int MinUsageRetentionDays,
    int MaxUsageRetentionDays,
    int RollupRetentionDays,
    bool InRegionOnly,
    bool ZeroRetentionOnly,
    bool AllowTraining,
    bool FromDeployment,
    string DataRegion,
    bool FloorEnforced,
    bool DeploymentInRegionOnly,
    bool DeploymentZeroRetentionOnly,
    bool DeploymentAllowTraining);

/// <summary>One stored request on the Requests page: its metadata and its decrypted content (the payload document,
/// indented), or why it cannot be read. The page shows the content as text, HTML-encoded like everything Razor writes.</summary>
public sealed record StoredRequestEntry(string Id, DateTimeOffset CreatedAt, string Model, int PromptTokens, int CompletionTokens, int Status,
    string? Content, string? Unreadable);
