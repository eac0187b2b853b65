using System.ComponentModel.DataAnnotations;

namespace Sluice.Providers;

/// <summary>Connections and retries to upstreams (<c>Sluice__Proxy__*</c>: the same section as the request path's
/// body limits and timeouts, so no setting changed its name when the two were split).</summary>
public sealed class UpstreamOptions
{
    public const string Section = "Sluice:Proxy";

    /// <summary>Time for a TCP (and TLS) connection to an upstream.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a pooled upstream connection is reused before a new one is opened. The upstream handler lives
    /// as long as the app, so without this a busy connection would never look up the provider's DNS name again and
    /// would keep talking to an address the provider has moved away from. A stream in progress is never cut; its
    /// connection is only not reused afterwards.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan UpstreamConnectionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Retries of a 429/5xx or refused connection on the same route, before the next route is tried.</summary>
    [Range(0, 10)] public int RetryAttempts { get; set; } = 2;

    /// <summary>First retry delay (exponential with jitter), and the cap on any delay, Retry-After included.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);
}
