namespace Sluice.Providers;

/// <summary>One resolved route: which provider serves a public model, where, at what price, with what data facts.</summary>
public sealed record ModelRoute
{
    public required string Id { get; init; }
    public required string Model { get; init; }
    public required IChatProvider Provider { get; init; }
    public required string UpstreamModel { get; init; }
    public Uri? BaseUrl { get; init; }
    public UpstreamCredential Credential { get; init; } = UpstreamCredential.None;
    public string? ApiVersion { get; init; }
    public bool UseManagedIdentity { get; init; }
    public required Pricing Pricing { get; init; }
    public required RouteDataFacts Facts { get; init; }
}

/// <summary>Prices in USD per million tokens. Costs are kept as whole nano-dollars so sums are exact.</summary>
public readonly record struct Pricing(decimal InputPerMillion, decimal OutputPerMillion)
{
    public long CostNanoUsd(long promptTokens, long completionTokens) =>
        (long)decimal.Round((promptTokens * InputPerMillion + completionTokens * OutputPerMillion) * 1000m, MidpointRounding.AwayFromZero);
}

/// <summary>An upstream secret. Its <see cref="ToString"/> never shows the value, so a route or a record that holds
/// one cannot leak it into a log line or an exception message.</summary>
public sealed class UpstreamCredential
{
    private UpstreamCredential(string? value) => Value = value;

    public static UpstreamCredential None { get; } = new(null);

    public static UpstreamCredential From(string? value) => string.IsNullOrEmpty(value) ? None : new UpstreamCredential(value);

    public string? Value { get; }

    public override string ToString() => Value is null ? "(none)" : "(redacted)";
}
