using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>
/// The one outbound HTTP pipeline every upstream call goes through, configured like a proxy's: no cookies, no
/// redirects, no decompression, a connect timeout, pooled connections renewed every few minutes, no trace headers sent to
/// providers, and retries of 429/5xx/refused connections that only ever cover getting the response headers.
/// </summary>
public static class UpstreamHttp
{
    public const string ClientName = "sluice-upstream";

    /// <summary>An error body larger than this is not read; its status alone is reported.</summary>
    private const int MaxErrorBodyBytes = 64 * 1024;

    public static IServiceCollection AddUpstreamHttp(this IServiceCollection services)
    {
        services.AddHttpClient(ClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseProxy = false,
                ConnectTimeout = sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.ConnectTimeout,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
                // The handler lives as long as the app (below): connections must not, or DNS changes are never seen.
                PooledConnectionLifetime = sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.UpstreamConnectionLifetime,
                EnableMultipleHttp2Connections = true,
                // Sluice sends no telemetry anywhere: no traceparent headers to providers either.
                ActivityHeadersPropagator = null,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers()
            .AddResilienceHandler("upstream-retry", (pipeline, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<IOptions<UpstreamOptions>>().Value;
                if (o.RetryAttempts > 0)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = o.RetryAttempts,
                        Delay = o.RetryBaseDelay,
                        MaxDelay = o.RetryMaxDelay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                    });
                }
            });
        return services;
    }

    public static HttpClient Create(IHttpClientFactory factory) => factory.CreateClient(ClientName);

    /// <summary>An OpenAI-family operation's path under the API's base URL.</summary>
    internal static string OpenAIPath(NativeOperation operation) => operation switch
    {
        NativeOperation.Embeddings => "embeddings",
        NativeOperation.Responses => "responses",
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "Not an OpenAI operation."),
    };

    /// <summary>Sends a JSON body and returns at the response headers; a retry re-sends the same bytes.</summary>
    /// <remarks>The content gets its own array rather than the pooled one it was written to: the handler may still be
    /// sending it after a server answered early, and a pooled array returned by then could carry another request's
    /// bytes to this upstream.</remarks>
    public static async Task<HttpResponseMessage> SendJsonAsync(HttpClient client, Uri uri, PooledBufferWriter body,
        Action<HttpRequestHeaders> headers, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = new ByteArrayContent(body.WrittenSpan.ToArray()),
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        headers(message.Headers);
        return await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Wraps an OpenAI-format upstream response: the body stream, the event stream, or the error.</summary>
    public static async Task<UpstreamResponse> ReadOpenAIResponseAsync(HttpResponseMessage response, bool stream, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var error = await ReadErrorAsync(response, cancellationToken);
            return UpstreamResponse.ForError(error, response);
        }
        var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var isEventStream = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
        if (stream && isEventStream)
        {
            return UpstreamResponse.ForEvents(new SseEventStream(body), response);
        }
        if (stream || isEventStream)
        {
            response.Dispose();
            throw new InvalidDataException("The upstream answered in a different format than the one requested.");
        }
        return UpstreamResponse.ForJson(body, response.Content.Headers.ContentLength, response);
    }

    /// <summary>
    /// Reads a bounded error body and re-emits it in OpenAI's error shape, whatever shape the provider used
    /// (OpenAI's, Anthropic's <c>{"type":"error","error":{…}}</c>, a bare message, or none). The result goes to the
    /// client only; the code it yields is sanitised for the usage row.
    /// </summary>
    public static async Task<UpstreamError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        string? message = null, type = null, code = null, param = null;
        var buffer = ArrayPool<byte>.Shared.Rent(MaxErrorBodyBytes);
        try
        {
            var length = 0;
            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
            {
                int read;
                while (length < MaxErrorBodyBytes && (read = await body.ReadAsync(buffer.AsMemory(length, MaxErrorBodyBytes - length), cancellationToken)) > 0)
                {
                    length += read;
                }
            }
            (message, type, code, param) = ParseError(buffer.AsSpan(0, length));
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // The status is the error; an unreadable body adds nothing.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var envelope = new ErrorEnvelope(new ErrorBody(
            message ?? $"The upstream provider answered HTTP {status}.",
            type ?? (status >= 500 ? "api_error" : "invalid_request_error"),
            param,
            code ?? type ?? $"upstream_http_{status}"));
        var json = JsonSerializer.SerializeToUtf8Bytes(envelope, WireJson.Wire.ErrorEnvelope);
        return new UpstreamError(status, json, SanitiseCode(code ?? type, status), RetryAfter(response));
    }

    /// <summary>How long the upstream asked to be left alone: <c>retry-after-ms</c> (Azure OpenAI's and OpenAI's SDKs'
    /// precise form) if sent, else <c>Retry-After</c> in seconds or as a date (measured against the response's own
    /// <c>Date</c>, so no clock of the gateway's is involved). Nonsense and values over a day are ignored.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        TimeSpan? wait = null;
        if (response.Headers.TryGetValues("retry-after-ms", out var ms)
            && double.TryParse(ms.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var millis)
            && double.IsFinite(millis))
        {
            wait = TimeSpan.FromMilliseconds(millis);
        }
        else if (response.Headers.RetryAfter is { } header)
        {
            wait = header.Delta ?? (header.Date - response.Headers.Date);
        }
        return wait is { } w && w >= TimeSpan.Zero && w <= TimeSpan.FromDays(1) ? w : null;
    }

    private static (string? Message, string? Type, string? Code, string? Param) ParseError(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            var error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) ? e : root;
            if (error.ValueKind == JsonValueKind.String)
            {
                return (error.GetString(), null, null, null);
            }
            if (error.ValueKind != JsonValueKind.Object)
            {
                return (null, null, null, null);
            }
            return (Text(error, "message"), Text(error, "type"), Text(error, "code"), Text(error, "param"));
        }
        catch (JsonException)
        {
            return (null, null, null, null);
        }

        static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;
    }

    /// <summary>A code fit for the usage row: lower-case letters, digits, <c>_ . -</c>, at most 64 characters.
    /// Anything else (a provider could put text there) is replaced by the HTTP status.</summary>
    internal static string SanitiseCode(string? code, int status)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 64)
        {
            return $"upstream_http_{status}";
        }
        foreach (var c in code)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '.' or '-'))
            {
                return $"upstream_http_{status}";
            }
        }
        return code;
    }
}
