namespace Sluice.Usage;

/// <summary>Token counts of one request, as the upstream reported them or as the gateway estimated them.</summary>
public readonly record struct TokenUsage(int PromptTokens, int CompletionTokens)
{
    /// <summary>Of <see cref="PromptTokens"/>, those read from the provider's prompt cache.</summary>
    public int CachedTokens { get; init; }

    /// <summary>Of <see cref="PromptTokens"/>, those written to the provider's prompt cache.</summary>
    public int CacheCreationTokens { get; init; }

    /// <summary>Of <see cref="CompletionTokens"/>, those spent reasoning.</summary>
    public int ReasoningTokens { get; init; }

    public int TotalTokens => PromptTokens + CompletionTokens;
}
