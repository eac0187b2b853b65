namespace Sluice.Providers;

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
}
