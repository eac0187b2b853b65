using Microsoft.AspNetCore.Http;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Routing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Surfaces;

/// <summary>
/// One API shape a client speaks to the gateway (Chat Completions, Anthropic Messages, embeddings, Responses, …),
/// served by the one request path in <see cref="GatewayFlow"/>. The flow owns everything that must be the same for
/// every shape (key and role, IP allowlist, account state, body limit, data-policy route selection and failover before
/// the first byte, content consent, encrypted capture, the one usage row); a surface owns only what differs:
/// <list type="number">
/// <item><see cref="TryCreateRequest"/>: validate its request body, with errors that name the field, never a value;</item>
/// <item><see cref="SurfaceRequest.SendAsync"/>: per route, pass the body through when the route's upstream speaks the
/// client's shape natively (<see cref="INativeProvider"/>: only <c>model</c> rewritten and Sluice's own fields removed),
/// or translate it to the hub, Chat Completions, which every <see cref="IChatProvider"/> speaks, and translate the
/// answer back (see <c>Sluice.Translation</c>). A request a translation cannot express is refused there, as an
/// <see cref="ApiError"/>, before any upstream call;</item>
/// <item>the answer, in the client's shape, with an <see cref="IAnswerMeter"/> that reads its usage in the wire format
/// the usage came in;</item>
/// <item><see cref="WriteErrorAsync"/> and <see cref="ShapeUpstreamError"/>: errors in the surface's own shape, with
/// the statuses of the OpenAI surface.</item>
/// </list>
/// A surface is a stateless singleton; everything about one request lives in its <see cref="SurfaceRequest"/>.
/// </summary>
public abstract class Surface
{
    /// <summary>What the usage row records as the surface that served (<c>Endpoint</c>): <c>chat.completions</c>,
    /// <c>messages</c>, <c>embeddings</c>, <c>responses</c>, … Stable: exports and rollups group by it.</summary>
    public abstract string Endpoint { get; }

    /// <summary>Parses and validates a request body, taking ownership of <paramref name="body"/> (disposed with the
    /// request, or at once on failure).</summary>
    public abstract bool TryCreateRequest(BufferedBody body, HttpRequest http, out SurfaceRequest? request, out ApiError? error);

    /// <summary>Writes a gateway error in this surface's shape, with the error's status (and its Retry-After).</summary>
    public virtual Task WriteErrorAsync(HttpContext context, ApiError error) => error.ExecuteAsync(context);

    /// <summary>An upstream's error body (always in OpenAI's shape by then: see <see cref="UpstreamHttp.ReadErrorAsync"/>)
    /// in this surface's shape. It goes to the client that sent the request and nowhere else.</summary>
    public virtual ReadOnlyMemory<byte> ShapeUpstreamError(UpstreamError error) => error.Body;
}

/// <summary>
/// One validated request of a <see cref="Surface"/>: what the flow reads (model, stream, store, the body for
/// capture), the prompt estimate, and how it is sent to a route.
/// </summary>
public abstract class SurfaceRequest : IDisposable
{
    /// <summary>The model the client asked for (routing key, and the usage row's <c>Model</c>).</summary>
    public required string Model { get; init; }

    public bool Stream { get; init; }

    /// <summary>The request's own content switch (<c>store</c>): <c>false</c> tightens storage for this request.</summary>
    public bool? Store { get; init; }

    /// <summary>The body exactly as the client sent it (captured when the account stores content).</summary>
    public abstract ReadOnlyMemory<byte> Body { get; }

    /// <summary>The parsed body, written compactly into a stored payload.</summary>
    public abstract System.Text.Json.JsonElement Root { get; }

    /// <summary>Prompt tokens as the estimator counts them, for rows whose upstream reported no usage.</summary>
    public abstract int EstimatePromptTokens(TokenEstimator estimator);

    /// <summary>Loads the state this request continues, once the flow knows the caller and whether this request's
    /// content is stored (Responses' <c>previous_response_id</c>, from Sluice's own content store). An error rejects
    /// the request before any upstream call. Most surfaces keep no state.</summary>
    public virtual Task<ApiError?> PrepareAsync(SurfaceContext context, CancellationToken cancellationToken) => Task.FromResult<ApiError?>(null);

    /// <summary>
    /// Sends the request to one route and returns at the upstream's response headers with the answer in the client's
    /// shape (or an error). Follows <see cref="IChatProvider.SendAsync"/>'s contract: an unreachable upstream throws
    /// <see cref="HttpRequestException"/>, a timeout <see cref="TimeoutException"/>, a malformed answer
    /// <see cref="InvalidDataException"/>; the flow then tries the next route.
    /// </summary>
    public abstract Task<SurfaceAnswer> SendAsync(ModelRoute route, HttpRequest http, CancellationToken cancellationToken);

    public abstract void Dispose();
}

/// <summary>Who sent a request and what the flow decided for it, for <see cref="SurfaceRequest.PrepareAsync"/>.</summary>
public sealed record SurfaceContext(Sluice.Accounts.Account Account, RequestId RequestId, int ContentDays);

/// <summary>
/// An answer in the client's shape: exactly one of <see cref="UpstreamResponse.Json"/>, <see cref="UpstreamResponse.Events"/>
/// or <see cref="UpstreamResponse.Error"/> of <see cref="Response"/> is set. Events go out as framed by the stream's
/// <see cref="IChatEventStream.RawEvent"/> when it has one, otherwise as one <c>data:</c> line each; after a stream that
/// ended with <see cref="IChatEventStream.Completed"/>, <see cref="StreamEnd"/> is written (Chat Completions'
/// <c>data: [DONE]</c>; nothing for shapes whose last event is part of the stream, which the meter marks
/// <see cref="AnswerEvent.End"/>).
/// </summary>
public sealed class SurfaceAnswer(UpstreamResponse response, IAnswerMeter meter, ReadOnlyMemory<byte> streamEnd) : IAsyncDisposable
{
    public UpstreamResponse Response { get; } = response;

    public IAnswerMeter Meter { get; } = meter;

    public ReadOnlyMemory<byte> StreamEnd { get; } = streamEnd;

    /// <summary>Whether usage-only events reach the client (Chat Completions' <c>stream_options.include_usage</c>);
    /// the gateway always asks upstreams for them.</summary>
    public bool ClientWantsUsageEvents { get; init; } = true;

    /// <summary>The hub answer a translated answer is read from, released with it (its connection).</summary>
    public IAsyncDisposable? Hub { get; init; }

    public static SurfaceAnswer ForError(UpstreamError error) =>
        new(UpstreamResponse.ForError(error), NoUsageMeter.Instance, default);

    /// <summary>A request the route cannot take (a translation that cannot express it), refused before any upstream
    /// call; the flow answers it like an upstream's error, in the surface's shape, and does not try another route.</summary>
    public static SurfaceAnswer Refused(ApiError error) => ForError(new UpstreamError(error.Status,
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new ErrorEnvelope(new ErrorBody(error.Message, error.Type, error.Param, error.Code)),
            WireJson.Wire.ErrorEnvelope), error.Code));

    public async ValueTask DisposeAsync()
    {
        Meter.Dispose();
        await Response.DisposeAsync();
        if (Hub is not null)
        {
            await Hub.DisposeAsync();
        }
    }
}

/// <summary>What the relay does with one event of a stream.</summary>
public enum AnswerEvent
{
    /// <summary>Relayed as it is.</summary>
    Relay,

    /// <summary>Carries only usage: relayed only to a client that asked for usage events.</summary>
    UsageOnly,

    /// <summary>The stream's last event (e.g. Anthropic's <c>message_stop</c>): the stream is complete with it, and it
    /// is written only once the usage row has committed, where the host holds answer ends.</summary>
    End,

    /// <summary>The stream's last event, a failure the upstream reported in the stream (an OpenAI <c>error</c> chunk,
    /// Anthropic's <c>error</c> event, Responses' <c>response.failed</c>), in the client's shape: the stream ends with
    /// it like with <see cref="End"/>, and the row records the failure (<see cref="IAnswerMeter.Failure"/>).</summary>
    Failed,
}

/// <summary>
/// Reads what metering needs from an answer on its way to the client, in the wire format its usage comes in: the
/// usage the upstream reported, and enough of the text to estimate from when it reported none. Bounded memory.
/// </summary>
public interface IAnswerMeter : IDisposable
{
    /// <summary>Inspects one event's data (one JSON object) before it is relayed.</summary>
    AnswerEvent Inspect(ReadOnlySpan<byte> data);

    /// <summary>Inspects the next piece of a JSON body.</summary>
    void Append(ReadOnlySpan<byte> json);

    /// <summary>The usage the upstream reported, or null.</summary>
    TokenUsage? Usage { get; }

    /// <summary>Completion tokens estimated from what was seen, for when <see cref="Usage"/> is null.</summary>
    int EstimateCompletion(TokenEstimator estimator);

    /// <summary>The code of a failure the upstream reported in the stream (as it sent it: the flow sanitises it), once
    /// an event said so; null while the answer is sound.</summary>
    string? Failure => null;
}

/// <summary>For answers that carry no usage (errors).</summary>
internal sealed class NoUsageMeter : IAnswerMeter
{
    public static readonly NoUsageMeter Instance = new();

    public AnswerEvent Inspect(ReadOnlySpan<byte> data) => AnswerEvent.Relay;

    public void Append(ReadOnlySpan<byte> json)
    {
    }

    public TokenUsage? Usage => null;

    public int EstimateCompletion(TokenEstimator estimator) => 0;

    public void Dispose()
    {
    }
}

/// <summary>
/// Meters a translated answer by the hub answer it was made from (the usage is the provider's, in Chat Completions'
/// shape); <paramref name="isEnd"/> says whether the translated stream's current event is its last, which is a failure
/// event when the hub's stream carried an in-band error.
/// </summary>
public sealed class HubMeter(ChatAnswerMeter hub, Func<bool>? isEnd = null) : IAnswerMeter
{
    public AnswerEvent Inspect(ReadOnlySpan<byte> data) =>
        isEnd?.Invoke() != true ? AnswerEvent.Relay : Failure is null ? AnswerEvent.End : AnswerEvent.Failed;

    public string? Failure => hub.Inspector.Failure;

    /// <summary>The translated body is not read: the hub's was, whole, before it was translated.</summary>
    public void Append(ReadOnlySpan<byte> json)
    {
    }

    public TokenUsage? Usage => hub.Usage;

    public int EstimateCompletion(TokenEstimator estimator) => hub.EstimateCompletion(estimator);

    public void Dispose() => hub.Dispose();
}
