using Sluice.Providers;

namespace Sluice.Routing;

/// <summary>
/// Reads a route's declared data facts from its configuration. It lives with the configuration it reads, not beside
/// <see cref="RouteDataFacts"/>, so providers (which carry the facts on each route) never depend on routing.
/// </summary>
public static class RouteDefinitionFacts
{
    extension(RouteDataFacts)
    {
        public static RouteDataFacts From(RouteDefinition d, string stampRegion)
        {
            var region = string.IsNullOrWhiteSpace(d.Region) ? RouteDataFacts.GlobalRegion : d.Region.Trim().ToLowerInvariant();
            if (region == RouteDataFacts.StampRegion)
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
}
