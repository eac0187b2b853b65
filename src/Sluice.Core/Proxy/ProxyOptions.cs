using System.ComponentModel.DataAnnotations;
using Sluice.Wire;

namespace Sluice.Proxy;

/// <summary>The request path's body limits and timeouts (<c>Sluice__Proxy__*</c>). The same section also binds
/// <see cref="Sluice.Providers.UpstreamOptions"/> (connections and retries to upstreams) and
/// <see cref="Sluice.Accounts.ForwardedForOptions"/> (which client address to believe).</summary>
public sealed class ProxyOptions : IValidatableObject
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

    /// <summary>
    /// Memory all requests in flight may hold because of their bodies (see <see cref="RequestBodyBudget"/>); a request
    /// that would pass it gets 503 with <c>Retry-After</c>. The default suits a 2,048 MB Flex Consumption instance:
    /// with the host's own ~200 MB and the runtime's share, the process stays under its 1,536 MB heap limit (75% of
    /// the instance). A request holds about 5 times its body (the body, the parsed document's index, the copy sent
    /// upstream), so the default admits 6 concurrent 16 MB bodies and thousands of ordinary ones. Raise it with the
    /// instance memory (4,096 MB: 1,536 MB).
    /// </summary>
    [Range(1024 * 1024, long.MaxValue)] public long MaxBufferedRequestBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Deadline for an upstream's response headers, across retries and routes. The body of a stream may
    /// run longer; it is bounded by the function timeout instead.</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>An SSE comment is sent when a stream has been silent this long, so idle timeouts on the way
    /// (Azure's load balancer closes idle connections after about four minutes) do not cut a slow stream.</summary>
    public TimeSpan StreamHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // One maximum-size body must always fit: its array, doubled once while a chunked body grows, and its share.
        if (MaxBufferedRequestBytes < 8 * MaxRequestBodyBytes)
        {
            yield return new ValidationResult(
                $"{nameof(MaxBufferedRequestBytes)} must be at least 8 times {nameof(MaxRequestBodyBytes)} ({8 * MaxRequestBodyBytes} bytes), so that a request of the largest accepted size can be served.",
                [nameof(MaxBufferedRequestBytes)]);
        }
    }
}
