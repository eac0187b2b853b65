namespace Sluice.Usage;

/// <summary>Token counts of one request, as the upstream reported them or as the gateway estimated them.</summary>
public readonly record struct TokenUsage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
