using System.Collections.Immutable;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.FairUse;
using Sluice.Payloads;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Routing;
using Sluice.Stamp;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Surfaces;

/// <summary>
/// The one request path of every API shape (<see cref="Surface"/>: <c>/v1/chat/completions</c>, <c>/v1/messages</c>,
/// <c>/v1/embeddings</c>, …), in one place; the surface parses its body, sends it to a route (passed through or
/// translated) and shapes its errors, and this flow does the rest:
/// <list type="number">
/// <item>authenticate the gateway key (account, role, state, IP allowlist);</item>
/// <item>read and validate the body (memory budget, size limit, UTF-8, JSON, required fields and types: the surface's);</item>
/// <item>resolve the model to the routes the caller's data policy allows, in order, and decide whether this request's
/// content is stored (only for a <c>retain_all</c> account, never longer than it allows, shorter if the request asks);</item>
/// <item>forward, trying the next allowed route on a refused connection, 429 or 5xx, before any byte has reached
/// the client;</item>
/// <item>relay the answer as it arrives: JSON, or server-sent events flushed one by one;</item>
/// <item>store the content, encrypted, if step 3 said so; record one usage row (tokens, cost, latency, status, route,
/// where the content is, which surface served), committed before the invocation ends.</item>
/// </list>
/// Where the host waits for rows (<see cref="UsageOptions.WaitForCommit"/>, the Functions app), step 6 runs before the
/// end of the answer is written (<see cref="UsageOptions.HoldAnswerEndUntilCommit"/>): the last bytes of a body, the
/// <c>[DONE]</c> of a stream, or a whole error answer wait for the row's commit, so no client holds a complete answer
/// that has no row, whenever the process dies. Otherwise the answer ends first and the row is queued after it.
/// The response is always written here; the flow returns an empty result so both hosts finish the same way. Errors
/// are written in the surface's shape with the same statuses everywhere.
/// </summary>
public sealed partial class GatewayFlow(
    GatewayAuthenticator authenticator,
    RouteSelector routeSelector,
    UsageMeter meter,
    TokenEstimator estimator,
    PayloadStore payloads,
    RequestBodyBudget bodyBudget,
    FairUseGate fairUse,
    IOptions<StampOptions> stamp,
    IOptions<ProxyOptions> options,
    IOptions<UsageOptions> usageOptions,
    TimeProvider time,
    ILogger<GatewayFlow> logger)
{
    public async Task<IResult> HandleAsync(HttpContext context, Surface surface)
    {
        var started = time.GetTimestamp();
        var requestId = RequestId.New(time.GetUtcNow());
        context.Response.Headers["x-request-id"] = requestId.Value;
        var aborted = context.RequestAborted;

        // :: Step 1: authenticate. A request without an account has no one to bill, so it writes no row.
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.Proxy)).TryGet(out var caller, out var authError))
        {
            await surface.WriteErrorAsync(context, authError);
            return Results.Empty;
        }
        var row = new UsageRecord
        {
            RequestId = requestId,
            AccountId = caller.Account.Id,
            KeyId = caller.Key.Id,
            DataRegion = stamp.Value.DataRegion,
            Endpoint = surface.Endpoint,
            Model = "",
            Status = 0,
        };

        // :: Step 2: read and validate the body.
        if (!(await RequestBody.ReadAsync(context.Request, options.Value.MaxRequestBodyBytes, bodyBudget, aborted)).TryGet(out var body, out var bodyError))
        {
            return await RejectAsync(context, surface, bodyError, row, started);
        }
        if (!surface.TryCreateRequest(body, context.Request, out var parsed, out var invalid))
        {
            return await RejectAsync(context, surface, invalid, row, started);
        }
        using var request = parsed;
        row = row with { Model = request.Model, Streamed = request.Stream };

        // :: Step 3: resolve the model to the routes the data policy allows.
        if (!routeSelector.EffectivePolicy(caller.Account, context.Request.Headers).TryGet(out var policy, out var policyError))
        {
            return await RejectAsync(context, surface, policyError, row, started);
        }
        if (!routeSelector.Select(request.Model, caller.Key, policy).TryGet(out var routes, out var routeError))
        {
            return await RejectAsync(context, surface, routeError, row, started);
        }
        // Decided before anything is relayed: a request that stores nothing gets no capture at all, so its content
        // never reaches any buffer but the one that streams it to the client.
        if (!ContentConsent.Decide(caller.Account.Retention, request.Store, context.Request.Headers).TryGet(out var contentDays, out var consentError))
        {
            return await RejectAsync(context, surface, consentError, row, started);
        }

        // The state the request continues (Responses' previous_response_id) is loaded first: the model reads it, so the
        // admission's estimate counts it.
        if (await request.PrepareAsync(new SurfaceContext(caller.Account, requestId, contentDays), aborted) is { } stateError)
        {
            return await RejectAsync(context, surface, stateError, row, started);
        }

        // :: Step 3b: fair use. Budgets and rate limits of the key and account, before anything goes upstream.
        var admission = await fairUse.AdmitAsync(caller, requestId, () => request.EstimatePromptTokens(estimator), aborted);
        admission.WriteHeaders(context.Response.Headers);
        if (admission.Refusal is { } refusal)
        {
            return await RejectAsync(context, surface, new ApiError(refusal.Status, refusal.Type, refusal.Code, refusal.Message) { RetryAfter = refusal.RetryAfter },
                row, started);
        }
        using var capture = contentDays > 0 ? payloads.StartCapture(contentDays) : null;

        // :: Step 4: forward, failing over between allowed routes before the first byte.
        var (forwarded, route) = await ForwardAsync(request, routes, context.Request, aborted);
        row = WithRoute(row, route);
        if (!forwarded.TryGet(out var answer, out var forwardError))
        {
            if (forwardError.Status == ApiError.StatusClientClosedRequest)
            {
                // The client hung up while an upstream worked on its request, which the upstream may bill: the row
                // carries the prompt, estimated within the estimator's budget.
                Log.ClientLeftBeforeAnswer(logger, row.RequestId.Value, route.Id);
                var prompt = request.EstimatePromptTokens(estimator);
                row = row with { PromptTokens = prompt, CostNanoUsd = route.Pricing.CostNanoUsd(prompt, 0), UsageEstimated = true };
            }
            return await RejectAsync(context, surface, forwardError, row, started);
        }
        await using (answer)
        {
            if (answer.Response.Error is { } upstreamError)
            {
                // Passed through to the client that sent the prompt, never stored or logged: it may echo the prompt.
                await AnswerWholeAsync(context, row with { Status = upstreamError.Status, ErrorCode = upstreamError.Code }, started, () =>
                {
                    var response = context.Response;
                    response.StatusCode = upstreamError.Status;
                    response.ContentType = "application/json";
                    if (upstreamError is { Status: 429 or 503, RetryAfter: { } wait })
                    {
                        // No other route took the request, so the upstream's wish is the caller's to honour.
                        response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                        response.Headers["retry-after-ms"] = Math.Round(wait.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
                    }
                    return response.Body.WriteAsync(surface.ShapeUpstreamError(upstreamError), aborted).AsTask();
                });
                return Results.Empty;
            }

            // :: Step 5: relay the answer as it arrives.
            return await RelayAsync(context, request, answer, route, row, capture, started);
        }
    }

    private async Task<IResult> RelayAsync(HttpContext context, SurfaceRequest request, SurfaceAnswer answer, ModelRoute route,
        UsageRecord row, PayloadCapture? capture, long started)
    {
        Action<ReadOnlySpan<byte>>? observe = capture is null ? null : capture.Observe;
        var aborted = context.RequestAborted;
        var upstream = answer.Response;
        var meter = answer.Meter;
        double? firstTokenMs = null;
        var metered = false;

        // :: Step 6: meter. Estimate with the tokenizer when the upstream gave no usage. Runs where the whole answer is
        // relayed but its end not yet written (when the end waits for the row), or once the relay is over.
        async Task MeterAsync(RelayError outcome, string? upstreamCode = null)
        {
            metered = true;
            var usage = meter.Usage;
            var estimated = false;
            if (usage is null)
            {
                estimated = true;
                usage = new TokenUsage(request.EstimatePromptTokens(estimator), meter.EstimateCompletion(estimator));
            }
            var u = usage.Value;
            // :: Step 6 (content): after the relay, with no request token, like the usage write.
            if (capture is not null && await payloads.WriteAsync(request.Body, request.Root, capture, row, CancellationToken.None) is { } stored)
            {
                row = row with { ContentBlob = stored.BlobName, ContentExpiresOn = stored.ExpiresOn };
            }
            await RecordAsync(row with
            {
                Status = outcome.RowStatus(),
                ErrorCode = upstreamCode ?? outcome.RowErrorCode(),
                PromptTokens = u.PromptTokens,
                CompletionTokens = u.CompletionTokens,
                CostNanoUsd = route.Pricing.CostNanoUsd(u.PromptTokens, u.CompletionTokens),
                CachedTokens = u.CachedTokens,
                CacheCreationTokens = u.CacheCreationTokens,
                ReasoningTokens = u.ReasoningTokens,
                UsageEstimated = estimated,
                TimeToFirstTokenMs = firstTokenMs,
            }, started);
        }
        // A failure the upstream reported in the stream went out after a 200: the row says 502, with its code.
        Func<Task>? beforeEnd = HoldsAnswerEnd
            ? () => InBandFailure(meter) is { } failure ? MeterAsync(RelayError.UpstreamFailed, failure) : MeterAsync(RelayError.None)
            : null;

        RelayError outcome;
        string? upstreamCode = null;
        try
        {
            if (upstream.Events is not null)
            {
                capture?.IsStream = true;
                var completed = await ResponseRelay.RelayEventsAsync(context, upstream.Events, meter, answer.ClientWantsUsageEvents, answer.StreamEnd,
                    options.Value.StreamHeartbeatInterval, time, () => firstTokenMs = ElapsedMs(started), observe, beforeEnd, aborted);
                if (completed)
                {
                    // Whole, or ended by the upstream's failure in the client's shape (a failure event is an end).
                    await context.Response.CompleteAsync();
                    upstreamCode = InBandFailure(meter);
                    outcome = upstreamCode is null ? RelayError.None : RelayError.UpstreamFailed;
                    if (upstreamCode is not null)
                    {
                        Log.StreamFailed(logger, row.RequestId.Value, route.Id, upstreamCode);
                    }
                }
                else
                {
                    // The upstream broke off mid-stream (perhaps after saying why). Abort so the client cannot take
                    // a cut answer as complete.
                    outcome = RelayError.UpstreamStreamBroken;
                    upstreamCode = InBandFailure(meter);
                    Log.StreamBroken(logger, row.RequestId.Value, route.Id);
                    context.Abort();
                }
            }
            else
            {
                await ResponseRelay.RelayJsonAsync(context, upstream, meter, observe, beforeEnd, aborted);
                await context.Response.CompleteAsync();
                outcome = RelayError.None;
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            outcome = RelayError.ClientDisconnected;
            Log.ClientDisconnected(logger, row.RequestId.Value);
        }
        catch (Exception e) when (e is IOException or HttpRequestException || IsBrokenAnswer(e))
        {
            outcome = RelayError.UpstreamStreamBroken;
            Log.StreamBroken(logger, row.RequestId.Value, route.Id);
            context.Abort();
        }

        // A client that left while the held end was being written already has its row (200: it had the whole answer
        // but its last bytes).
        if (!metered)
        {
            await MeterAsync(outcome, upstreamCode);
        }
        return Results.Empty;
    }

    /// <summary>An upstream answer the gateway cannot read or translate: not JSON, not the shape expected, or JSON whose
    /// string is not text (System.Text.Json throws <see cref="InvalidOperationException"/> reading a lone UTF-16
    /// surrogate escape). Each is the upstream's failure (502, with its row), not the gateway's (500, and no row).</summary>
    private static bool IsBrokenAnswer(Exception e) =>
        e is InvalidDataException or System.Text.Json.JsonException
        || (e is InvalidOperationException && e.TargetSite?.DeclaringType?.Assembly == typeof(System.Text.Json.JsonException).Assembly);

    /// <summary>The row's code for a failure the upstream reported in the stream after the headers (its own code,
    /// sanitised), or null when it reported none.</summary>
    private static string? InBandFailure(IAnswerMeter meter) =>
        meter.Failure is { } failure ? UpstreamHttp.SanitiseCode(failure.Length > 0 ? failure : "upstream_error", StatusCodes.Status502BadGateway) : null;

    /// <summary>
    /// Tries each allowed route in order. A refused connection, 429 or 5xx moves on to the next route (the provider's
    /// HTTP pipeline has already retried the same route); any other answer is final. Returns the last error when no
    /// route answered. Nothing has been sent to the client yet, so trying again can never replay a started stream.
    /// </summary>
    private async Task<(Outcome<SurfaceAnswer> Answer, ModelRoute Route)> ForwardAsync(
        SurfaceRequest request, ImmutableArray<ModelRoute> routes, HttpRequest http, CancellationToken aborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(options.Value.UpstreamTimeout);
        ApiError? lastError = null;
        var lastRoute = routes[0];
        for (var i = 0; i < routes.Length; i++)
        {
            var route = routes[i];
            lastRoute = route;
            SurfaceAnswer response;
            try
            {
                response = await request.SendAsync(route, http, deadline.Token);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                // The client hung up. The upstream call was cancelled with it, but had started: the caller meters it.
                return (ApiError.ClientClosedRequest(), route);
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException || e.InnerException is TimeoutException)
            {
                Log.UpstreamFailed(logger, route.Id, "timeout");
                return (ApiError.UpstreamTimeout(), route);
            }
            catch (HttpRequestException)
            {
                Log.UpstreamFailed(logger, route.Id, "unreachable");
                lastError = ApiError.UpstreamUnreachable();
                continue;
            }
            catch (Exception e) when (IsBrokenAnswer(e))
            {
                Log.UpstreamFailed(logger, route.Id, "bad_response");
                lastError = ApiError.UpstreamBadResponse();
                continue;
            }

            if (response.Response.Error is { IsRetryable: true } retryable && i < routes.Length - 1)
            {
                Log.UpstreamFailed(logger, route.Id, retryable.Code);
                await response.DisposeAsync();
                continue;
            }
            // The deadline covered getting an answer; the body may stream for as long as the client stays.
            deadline.CancelAfter(Timeout.InfiniteTimeSpan);
            return (response, route);
        }
        return (lastError ?? ApiError.UpstreamUnreachable(), lastRoute);
    }

    private async Task<IResult> RejectAsync(HttpContext context, Surface surface, ApiError error, UsageRecord row, long started)
    {
        var done = row with { Status = error.Status, ErrorCode = error.Code };
        if (error.Status == ApiError.StatusClientClosedRequest)
        {
            // Nothing is sent to a client that has gone; its row still says how the request ended.
            await RecordAsync(done, started);
            return Results.Empty;
        }
        await AnswerWholeAsync(context, done, started, () => surface.WriteErrorAsync(context, error));
        return Results.Empty;
    }

    /// <summary>Whether the end of each answer waits for its row's commit (see the class summary).</summary>
    private bool HoldsAnswerEnd => usageOptions.Value is { WaitForCommit: true, HoldAnswerEndUntilCommit: true };

    /// <summary>Writes an answer made in one piece (an error) and records its row: the row first when the answer's end
    /// waits for it (<see cref="HoldsAnswerEnd"/>), otherwise after the answer. A client that has left meanwhile
    /// changes nothing: its row is recorded all the same.</summary>
    private async Task AnswerWholeAsync(HttpContext context, UsageRecord row, long started, Func<Task> write)
    {
        var hold = HoldsAnswerEnd;
        if (hold)
        {
            await RecordAsync(row, started);
        }
        try
        {
            await write();
            await context.Response.CompleteAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            Log.ClientDisconnected(logger, row.RequestId.Value);
        }
        if (!hold)
        {
            await RecordAsync(row, started);
        }
    }

    /// <summary>Commits the row; the usage write takes no request token: an aborted request is metered too.</summary>
    private Task RecordAsync(UsageRecord row, long started)
    {
        var done = row with { LatencyMs = ElapsedMs(started) };
        Log.Served(logger, done.RequestId.Value, done.Model, done.RouteId, done.Status, done.LatencyMs);
        fairUse.Settle(done);
        return meter.RecordAsync(done);
    }

    private static UsageRecord WithRoute(UsageRecord row, ModelRoute? route) => route is null ? row : row with
    {
        Provider = route.Provider.Name,
        RouteId = route.Id,
        RouteRegion = route.Facts.Region,
        RouteRetention = route.Facts.RetentionWire,
        UpstreamModel = route.UpstreamModel,
    };

    private double ElapsedMs(long started) => time.GetElapsedTime(started).TotalMilliseconds;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Request {RequestId} for {Model} via {RouteId} ended with {Status} after {LatencyMs} ms.")]
        public static partial void Served(ILogger logger, string requestId, string model, string? routeId, int status, double latencyMs);

        [LoggerMessage(2, LogLevel.Warning, "Upstream route {RouteId} failed: {Failure}.")]
        public static partial void UpstreamFailed(ILogger logger, string routeId, string failure);

        [LoggerMessage(3, LogLevel.Debug, "Client disconnected from request {RequestId}; the upstream call was cancelled.")]
        public static partial void ClientDisconnected(ILogger logger, string requestId);

        [LoggerMessage(4, LogLevel.Warning, "Upstream route {RouteId} broke off the stream of request {RequestId}.")]
        public static partial void StreamBroken(ILogger logger, string requestId, string routeId);

        [LoggerMessage(6, LogLevel.Warning, "Upstream route {RouteId} reported {ErrorCode} in the stream of request {RequestId}; the client got the failure in its own shape.")]
        public static partial void StreamFailed(ILogger logger, string requestId, string routeId, string errorCode);

        [LoggerMessage(5, LogLevel.Information, "Client disconnected from request {RequestId} before route {RouteId} answered; the upstream call was cancelled and is metered with an estimated prompt.")]
        public static partial void ClientLeftBeforeAnswer(ILogger logger, string requestId, string routeId);
    }
}
