using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Sluice.Wire;

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
            WireJson.Wire.ErrorEnvelope,
            contentType: "application/json",
            cancellationToken: httpContext.RequestAborted);
    }

    /// <summary>Most characters of a client's value an error message repeats.</summary>
    public const int MaxEchoLength = 48;

    public static ApiError MissingApiKey() => new(401, "invalid_request_error", "missing_api_key",
        "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' or in the 'api-key' or 'x-api-key' header.");

    public static ApiError InvalidApiKey() => new(401, "invalid_request_error", "invalid_api_key",
        "Incorrect API key provided.");

    public static ApiError WrongRegion(string keyRegion, string stampRegion) => new(401, "invalid_request_error", "wrong_data_region",
        $"This key belongs to the '{keyRegion}' data region, but this deployment serves '{stampRegion}'. Use the '{keyRegion}' region's URL; keys and data never cross regions.");

    public static ApiError InvalidRequest(string message, string? param = null) =>
        new(400, "invalid_request_error", "invalid_request", message, param);

    public static ApiError BodyTooLarge(long? limit = null) => new(413, "invalid_request_error", "request_too_large",
        limit is null ? "The request body exceeds this deployment's limit." : $"The request body exceeds this deployment's limit of {limit} bytes.");

    /// <summary>The request body's chunked framing was broken, or it ended early.</summary>
    public static ApiError UnreadableBody() => InvalidRequest(
        "The request body could not be read: its chunked encoding is malformed or it ended early.");

    public static ApiError BodyTooSlow() => new(408, "invalid_request_error", "request_timeout",
        "The request body arrived too slowly.");

    /// <summary>Request bodies in flight hold all the memory this instance gives them; the request was not read.</summary>
    public static ApiError GatewayBusy() => new(503, "api_error", "gateway_busy",
        "The gateway is holding as many request bodies as its memory allows; retry shortly.")
    {
        RetryAfter = TimeSpan.FromSeconds(1),
    };

    /// <summary>nginx's 499: the client closed the connection before it was answered. Recorded, never sent.</summary>
    public static ApiError ClientClosedRequest() => new(StatusClientClosedRequest, "invalid_request_error", "client_disconnected",
        "The client closed the connection before the answer.");

    public const int StatusClientClosedRequest = 499;

    public static ApiError ModelNotFound(string model) => new(404, "invalid_request_error", "model_not_found",
        $"The model '{Echo(model)}' does not exist on this gateway.", "model");

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

    /// <summary>
    /// A client's value as an error message may repeat it: at most <see cref="MaxEchoLength"/> characters (then "…"),
    /// with control and format characters (newlines, NUL, bidirectional overrides) shown as '?', so a message can
    /// neither grow with the input nor change how a log or terminal shows the text around it.
    /// </summary>
    public static string Echo(string value)
    {
        var length = Math.Min(value.Length, MaxEchoLength);
        if (length < value.Length && char.IsHighSurrogate(value[length - 1]))
        {
            length--;
        }
        return string.Create(length + (length < value.Length ? 1 : 0), (value, length), static (chars, state) =>
        {
            var (text, length) = state;
            for (var i = 0; i < length; i++)
            {
                var c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < length && char.IsLowSurrogate(text[i + 1]))
                {
                    chars[i] = c;
                    chars[++i] = text[i];
                    continue;
                }
                chars[i] = char.IsSurrogate(c) || char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
                    or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator ? '?' : c;
            }
            if (length < text.Length)
            {
                chars[length] = '…';
            }
        });
    }

    /// <summary>A failure of the gateway itself; the message is fixed, whatever failed.</summary>
    public static ApiError Internal() => new(500, "api_error", "internal_error",
        "The gateway failed while handling this request. Nothing about the request is repeated here; the failure is in the gateway's log.");

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
