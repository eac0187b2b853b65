using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Sluice.Proxy;

/// <summary>
/// An expected failure, as a value, with its one mapping to the wire: OpenAI's
/// <c>{"error":{"message","type","param","code"}}</c> body and the matching status. Every /v1 and operator
/// endpoint answers errors this way, so OpenAI SDKs surface the message unchanged.
/// Messages are written here, from fixed text and identifiers only: never a prompt, a key or a provider body.
/// </summary>
public sealed record ApiError(int Status, string Type, string Code, string Message, string? Param = null) : IResult
{
    /// <summary>Sent as <c>Retry-After</c> (whole seconds) when set: the client may try again after it.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = Status;
        if (RetryAfter is { } delay)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        return response.WriteAsJsonAsync(
            new ErrorEnvelope(new ErrorBody(Message, Type, Param, Code)),
            SluiceJson.Wire.ErrorEnvelope,
            contentType: "application/json",
            cancellationToken: httpContext.RequestAborted);
    }

    public static ApiError MissingApiKey() => new(401, "invalid_request_error", "missing_api_key",
        "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' or in the 'api-key' header.");

    public static ApiError InvalidApiKey() => new(401, "invalid_request_error", "invalid_api_key",
        "Incorrect API key provided.");

    public static ApiError WrongRegion(string keyRegion, string stampRegion) => new(401, "invalid_request_error", "wrong_data_region",
        $"This key belongs to the '{keyRegion}' data region, but this deployment serves '{stampRegion}'. Use the '{keyRegion}' region's URL; keys and data never cross regions.");

    public static ApiError InvalidRequest(string message, string? param = null) =>
        new(400, "invalid_request_error", "invalid_request", message, param);

    public static ApiError BodyTooLarge(long limit) => new(413, "invalid_request_error", "request_too_large",
        $"The request body exceeds this deployment's limit of {limit} bytes.");

    public static ApiError ModelNotFound(string model) => new(404, "invalid_request_error", "model_not_found",
        $"The model '{model}' does not exist on this gateway.", "model");

    /// <summary>OpenAI's answer to a path or method it does not serve. The method and path are echoed, as OpenAI does,
    /// but only as a short printable prefix (the query string never: it may carry a key).</summary>
    public static ApiError UnknownUrl(string method, string? path) => new(404, "invalid_request_error", "unknown_url",
        $"Unknown request URL: {Printable(method, 16)} {Printable(path, 128)}. Please check the URL for typos.");

    /// <summary>At most <paramref name="max"/> characters of <paramref name="text"/>, each outside printable ASCII
    /// replaced by '?', and '…' when cut.</summary>
    private static string Printable(string? text, int max)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "/";
        }
        var cut = text.Length > max;
        return string.Create(Math.Min(text.Length, max) + (cut ? 1 : 0), (text, cut), static (span, state) =>
        {
            var (source, cut) = state;
            var length = cut ? span.Length - 1 : span.Length;
            for (var i = 0; i < length; i++)
            {
                span[i] = source[i] is >= ' ' and <= '~' ? source[i] : '?';
            }
            if (cut)
            {
                span[^1] = '…';
            }
        });
    }

    public static ApiError NotFound(string what) => new(404, "invalid_request_error", "not_found", $"{what} was not found.");

    public static ApiError Forbidden(string code, string message) => new(403, "permission_error", code, message);

    public static ApiError Conflict(string code, string message) => new(409, "invalid_request_error", code, message);

    public static ApiError UpstreamUnreachable() => new(502, "api_error", "upstream_unreachable",
        "The upstream provider could not be reached.");

    public static ApiError UpstreamBadResponse() => new(502, "api_error", "upstream_bad_response",
        "The upstream provider sent a response the gateway could not read.");

    public static ApiError UpstreamTimeout() => new(504, "api_error", "upstream_timeout",
        "The upstream provider did not answer in time.");
}

public sealed record ErrorEnvelope([property: JsonPropertyName("error")] ErrorBody Error);

public sealed record ErrorBody(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    // Always written, null included, as OpenAI does: SDKs and clients read the four fields by name.
    [property: JsonPropertyName("param"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonPropertyName("code")] string Code);
