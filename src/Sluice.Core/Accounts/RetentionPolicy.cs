namespace Sluice.Accounts;

/// <summary>Whether an account stores message and response content at all.</summary>
public enum ContentMode
{
    /// <summary>The default: no prompt or completion text is stored anywhere, only per-request metadata.</summary>
    MetadataOnly,

    /// <summary>Opt-in: request and response bodies are stored, encrypted, for the content retention period.</summary>
    RetainAll,
}

/// <summary>
/// An account's retention settings: what content is kept and for how many days content and per-request
/// metadata live. Content never outlives its metadata row.
/// </summary>
public sealed record RetentionPolicy(ContentMode ContentMode, int ContentRetentionDays, int UsageRetentionDays)
{
    /// <summary>Whether this account stores content for a request that asked for <paramref name="requestedDays"/>
    /// (null when the request asked nothing) and for how long. A request can only shorten, never lengthen.</summary>
    public int EffectiveContentDays(int? requestedDays) =>
        ContentMode == ContentMode.RetainAll
            ? Math.Min(ContentRetentionDays, requestedDays ?? int.MaxValue)
            : 0;
}

public static class ContentModeNames
{
    public static string ToWire(this ContentMode mode) => mode == ContentMode.RetainAll ? "retain_all" : "metadata_only";

    /// <summary>Parses a stored mode; anything unknown reads as the safe default, metadata only.</summary>
    public static ContentMode ParseOrMetadataOnly(string? value) => TryParse(value, out var mode) ? mode : ContentMode.MetadataOnly;

    public static bool TryParse(string? value, out ContentMode mode)
    {
        switch (value)
        {
            case "metadata_only": mode = ContentMode.MetadataOnly; return true;
            case "retain_all": mode = ContentMode.RetainAll; return true;
            default: mode = default; return false;
        }
    }
}
