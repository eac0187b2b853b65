using System.ComponentModel.DataAnnotations;

namespace Sluice.Proxy;

/// <summary>The request path's limits and timeouts (<c>Sluice__Proxy__*</c>).</summary>
public sealed class ProxyOptions
{
    public const string Section = "Sluice:Proxy";

    /// <summary>Largest accepted request body; larger ones get 413 before any of it is parsed.</summary>
    [Range(1024, 100L * 1024 * 1024)] public long MaxRequestBodyBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Kestrel's own limit in both hosts (the Functions worker serves on Kestrel too, behind the host). It sits
    /// above <see cref="MaxRequestBodyBytes"/> so the gateway answers its own OpenAI-shaped 413: past Kestrel's limit
    /// the client gets Kestrel's bare error instead, and a 500 through the Functions host. Kestrel counts chunked
    /// framing against its limit (a 4,077-byte body sent in 1 KiB chunks trips a 4,097-byte limit), hence the
    /// headroom; the gateway counts the decoded bytes.</summary>
    public long ServerMaxRequestBodySize => 2 * MaxRequestBodyBytes + 64 * 1024;

    /// <summary>Time for a TCP (and TLS) connection to an upstream.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a pooled upstream connection is reused before a new one is opened. The upstream handler lives
    /// as long as the app, so without this a busy connection would never look up the provider's DNS name again and
    /// would keep talking to an address the provider has moved away from. A stream in progress is never cut; its
    /// connection is only not reused afterwards.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan UpstreamConnectionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Deadline for an upstream's response headers, across retries and routes. The body of a stream may
    /// run longer; it is bounded by the function timeout instead.</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Retries of a 429/5xx or refused connection on the same route, before the next route is tried.</summary>
    [Range(0, 10)] public int RetryAttempts { get; set; } = 2;

    /// <summary>First retry delay (exponential with jitter), and the cap on any delay, Retry-After included.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>An SSE comment is sent when a stream has been silent this long, so idle timeouts on the way
    /// (Azure's load balancer closes idle connections after about four minutes) do not cut a slow stream.</summary>
    public TimeSpan StreamHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Believe <c>X-Forwarded-For</c> (true behind the Azure Functions front end).</summary>
    public bool TrustForwardedFor { get; set; }

    /// <summary>Trusted proxies in front of the app; the client's address is this many entries from the right.</summary>
    [Range(1, 10)] public int ForwardedHopCount { get; set; } = 1;
}
