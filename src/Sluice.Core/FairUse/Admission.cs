using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Sluice.FairUse;

/// <summary>
/// Why fair use refused a request, independent of any API surface: each surface writes it in its own error shape
/// (OpenAI's <c>{"error":{...}}</c>, Anthropic's on <c>/v1/messages</c>) with <see cref="Status"/>, and sends
/// <see cref="Admission.Headers"/> with it.
/// </summary>
public sealed record FairUseRefusal(int Status, string Type, string Code, string Message, TimeSpan? RetryAfter);

/// <summary>The outcome of <see cref="FairUseGate.AdmitAsync"/>: admitted or refused, and the rate-limit headers to
/// send either way (<c>x-ratelimit-*</c>, and <c>Retry-After</c> on a 429).</summary>
public sealed class Admission
{
    public static Admission Unlimited { get; } = new(null, []);

    /// <summary>How long a caller refused for an unreachable limit store is asked to wait: long enough for the SDK's own
    /// retries to have been spent in vain again, short enough to follow a storage blip.</summary>
    internal static readonly TimeSpan LimitsUnavailableRetry = TimeSpan.FromSeconds(5);

    /// <summary>503 <c>limits_unavailable</c>: the limits (or the shared count) that apply cannot be read now.</summary>
    internal static Admission LimitsUnavailable { get; } = new(
        new FairUseRefusal(503, "api_error", "limits_unavailable",
            "The gateway cannot read this account's spend and rate limits right now (its storage is unreachable), so it does not send the request on. Retry shortly.",
            LimitsUnavailableRetry),
        [new("retry-after-ms", ((long)LimitsUnavailableRetry.TotalMilliseconds).ToString(CultureInfo.InvariantCulture))]);

    internal Admission(FairUseRefusal? refusal, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        Refusal = refusal;
        Headers = headers;
    }

    public FairUseRefusal? Refusal { get; }

    public bool Admitted => Refusal is null;

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    public void WriteHeaders(IHeaderDictionary headers)
    {
        foreach (var (name, value) in Headers)
        {
            headers[name] = value;
        }
    }

    /// <summary>A duration as OpenAI writes <c>x-ratelimit-reset-*</c>: <c>20ms</c>, <c>1.5s</c>, <c>6m0s</c>.</summary>
    internal static string ResetText(TimeSpan wait)
    {
        if (wait < TimeSpan.FromSeconds(1))
        {
            return Math.Max(0, (int)Math.Ceiling(wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }
        var seconds = Math.Round(wait.TotalSeconds % 60, 3).ToString("0.###", CultureInfo.InvariantCulture);
        return wait.TotalMinutes >= 1 ? $"{(int)wait.TotalMinutes}m{seconds}s" : seconds + "s";
    }
}
