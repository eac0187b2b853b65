using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Surfaces;

/// <summary>Errors in Anthropic's shape, <c>{"type":"error","error":{"type","message"}}</c>, with the OpenAI surface's
/// statuses; the type follows the status as Anthropic's API sets it.</summary>
internal static class AnthropicErrors
{
    private static readonly HashSet<string> s_types =
    [
        "invalid_request_error", "authentication_error", "billing_error", "permission_error", "not_found_error",
        "request_too_large", "rate_limit_error", "timeout_error", "api_error", "overloaded_error",
    ];

    public static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        408 or 504 => "timeout_error",
        529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    public static Task WriteAsync(HttpContext context, ApiError error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        if (error.RetryAfter is { } delay)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(delay.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return response.WriteAsJsonAsync(Envelope(error.Status, error.Message), SurfacesJson.Wire.AnthropicErrorEnvelope,
            contentType: "application/json", cancellationToken: context.RequestAborted);
    }

    /// <summary>An upstream error (OpenAI's shape by now) in Anthropic's; an Anthropic route's own error type is kept.</summary>
    public static ReadOnlyMemory<byte> Reshape(UpstreamError error)
    {
        string? message = null, type = null;
        try
        {
            using var document = JsonDocument.Parse(error.Body);
            if (document.RootElement.TryGetProperty("error"u8, out var body) && body.ValueKind == JsonValueKind.Object)
            {
                message = AnthropicProvider.Text(body, "message"u8);
                type = AnthropicProvider.Text(body, "type"u8);
            }
        }
        catch (JsonException)
        {
        }
        var envelope = Envelope(error.Status, message ?? $"The upstream provider answered HTTP {error.Status}.");
        if (type is not null && s_types.Contains(type))
        {
            envelope = envelope with { Error = envelope.Error with { Type = type } };
        }
        return JsonSerializer.SerializeToUtf8Bytes(envelope, SurfacesJson.Wire.AnthropicErrorEnvelope);
    }

    private static AnthropicErrorEnvelope Envelope(int status, string message) => new("error", new AnthropicError(TypeFor(status), message));
}

/// <summary>
/// Usage of an answer in Anthropic's Messages shape, as an Anthropic route reports it: <c>message_start</c>'s usage,
/// replaced by each <c>message_delta</c>'s (its counts are cumulative), or a message's <c>usage</c>; cache reads and
/// cache writes counted into the prompt and kept apart (<see cref="TokenUsage.CachedTokens"/>,
/// <see cref="TokenUsage.CacheCreationTokens"/>). <c>message_stop</c> is the stream's last event. Text, tool input
/// and thinking deltas are sampled (bounded) to estimate from when no usage arrived.
/// </summary>
internal sealed class AnthropicAnswerMeter(int sampleCharLimit = 16 * 1024) : IAnswerMeter
{
    private readonly StringBuilder _sample = new();
    private JsonUsageScanner? _scanner;
    private MessageUsage? _usage;
    private int _contentEvents;
    private int _sampledEvents;

    public AnswerEvent Inspect(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using var document = JsonDocument.ParseValue(ref reader);
            var e = document.RootElement;
            var type = AnthropicProvider.Text(e, "type"u8);
            switch (type)
            {
                case "message_stop":
                    return AnswerEvent.End;
                case "error":
                    // Overloaded or failed mid-answer: the event is the stream's honest end, and the row's failure.
                    Failure = e.TryGetProperty("error"u8, out var error) && error.ValueKind == JsonValueKind.Object
                        ? AnthropicProvider.Text(error, "type"u8) ?? "" : "";
                    return AnswerEvent.Failed;
                case "message_start" when e.TryGetProperty("message"u8, out var message) && message.ValueKind == JsonValueKind.Object
                    && message.TryGetProperty("usage"u8, out var startUsage):
                    _usage = MessageUsage.From(startUsage, _usage ?? default);
                    break;
                case "message_delta" when e.TryGetProperty("usage"u8, out var deltaUsage):
                    _usage = MessageUsage.From(deltaUsage, _usage ?? default);
                    break;
                case "content_block_delta" when e.TryGetProperty("delta"u8, out var delta) && delta.ValueKind == JsonValueKind.Object:
                    var text = AnthropicProvider.Text(delta, "text"u8) ?? AnthropicProvider.Text(delta, "partial_json"u8) ?? AnthropicProvider.Text(delta, "thinking"u8);
                    if (text is not null)
                    {
                        _contentEvents++;
                        if (_sample.Length < sampleCharLimit)
                        {
                            _sampledEvents++;
                            _sample.Append(text);
                        }
                    }
                    break;
            }
        }
        catch (JsonException)
        {
            // An event the gateway cannot read is still relayed as it is; it only does not count.
        }
        return AnswerEvent.Relay;
    }

    public void Append(ReadOnlySpan<byte> json) => (_scanner ??= new JsonUsageScanner()).Append(json);

    public string? Failure { get; private set; }

    public TokenUsage? Usage
    {
        get
        {
            var usage = _usage;
            if (_scanner is not null && _scanner.UsageJson.Length > 0)
            {
                try
                {
                    var reader = new Utf8JsonReader(_scanner.UsageJson);
                    using var document = JsonDocument.ParseValue(ref reader);
                    usage = MessageUsage.From(document.RootElement);
                }
                catch (JsonException)
                {
                }
            }
            return usage is { } u
                ? new TokenUsage(u.PromptTokens, u.OutputTokens) { CachedTokens = u.CacheReadTokens, CacheCreationTokens = u.CacheCreationTokens }
                : null;
        }
    }

    public int EstimateCompletion(TokenEstimator estimator)
    {
        if (_scanner is not null)
        {
            // A message's JSON: about four bytes of it per token of its text, as for a chat completion too long to keep.
            return (int)(_scanner.Length / 4);
        }
        var sampled = estimator.Count(_sample.ToString());
        return _sampledEvents == 0 || _contentEvents <= _sampledEvents ? sampled : (int)Math.Ceiling(sampled * (double)_contentEvents / _sampledEvents);
    }

    public void Dispose() => _scanner?.Dispose();
}
