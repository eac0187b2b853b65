namespace Sluice.Routing;

public enum UpstreamRetention
{
    /// <summary>Zero data retention: the provider keeps nothing.</summary>
    None,

    /// <summary>Kept for a bounded number of days for abuse monitoring.</summary>
    AbuseMonitoring,

    /// <summary>Undeclared or unknown: treated as the worst case.</summary>
    Unknown,
}

public enum UpstreamTraining
{
    No,
    Yes,
    Unknown,
}

/// <summary>What a route's upstream does with the data sent to it. Anything undeclared is the worst case.</summary>
public sealed record RouteDataFacts(string Region, UpstreamRetention Retention, int? RetentionDays, UpstreamTraining Training)
{
    public const string GlobalRegion = "global";

    public static RouteDataFacts WorstCase { get; } = new(GlobalRegion, UpstreamRetention.Unknown, null, UpstreamTraining.Unknown);

    public string RetentionWire => Retention switch
    {
        UpstreamRetention.None => "none",
        UpstreamRetention.AbuseMonitoring => "abuse-monitoring",
        _ => "unknown",
    };

    public string TrainingWire => Training switch
    {
        UpstreamTraining.No => "no",
        UpstreamTraining.Yes => "yes",
        _ => "unknown",
    };

    /// <summary>The declared region <c>stamp</c> means "wherever this deployment runs": right for the in-process
    /// mock model and for a self-hosted model beside the app.</summary>
    public const string StampRegion = "stamp";

    public static RouteDataFacts From(RouteDefinition d, string stampRegion)
    {
        var region = string.IsNullOrWhiteSpace(d.Region) ? GlobalRegion : d.Region.Trim().ToLowerInvariant();
        if (region == StampRegion)
        {
            region = stampRegion;
        }
        var retention = d.Retention?.Trim().ToLowerInvariant() switch
        {
            "none" or "zero" or "zdr" => UpstreamRetention.None,
            "abuse-monitoring" or "abuse_monitoring" => UpstreamRetention.AbuseMonitoring,
            null or "" or "unknown" => UpstreamRetention.Unknown,
            var other => throw new InvalidOperationException(
                $"Route for model '{d.Model}': Retention '{other}' is not one of none, abuse-monitoring, unknown."),
        };
        var training = d.Training?.Trim().ToLowerInvariant() switch
        {
            "no" or "false" => UpstreamTraining.No,
            "yes" or "true" => UpstreamTraining.Yes,
            null or "" or "unknown" => UpstreamTraining.Unknown,
            var other => throw new InvalidOperationException(
                $"Route for model '{d.Model}': Training '{other}' is not one of no, yes, unknown."),
        };
        return new RouteDataFacts(region, retention, retention == UpstreamRetention.AbuseMonitoring ? d.RetentionDays : null, training);
    }
}
