using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Payloads;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Routing;
using Sluice.Translation;
using Sluice.Usage;

namespace Sluice.Responses;

/// <summary>
/// <c>POST /v1/responses</c>, OpenAI's Responses API, on the same steps as chat completions:
/// <list type="number">
/// <item>authenticate the gateway key (account, role, state, IP allowlist);</item>
/// <item>read and validate the body (memory budget, size limit, UTF-8, JSON, the fields the gateway reads; features
/// that keep state at the provider, <c>background</c> and <c>conversation</c>, are a 400);</item>
/// <item>resolve the model to the routes the data policy allows; decide whether this response's content is stored;
/// resolve <c>previous_response_id</c> from Sluice's own content store (a <c>metadata_only</c> account gets a clear
/// 400: it keeps no content anywhere);</item>
/// <item>forward, failing over before the first byte: to a route whose provider speaks Responses
/// (<see cref="IResponsesProvider"/>) the body passes through with the model rewritten and <c>store: false</c> forced;
/// to any other route it is translated to Chat Completions (<see cref="ResponsesToChat"/>; what cannot be expressed
/// is a 400 before any call);</item>
/// <item>relay the answer as it arrives: the upstream's own events (the response's id, <c>store</c> and
/// <c>previous_response_id</c> rewritten to Sluice's), or chat chunks translated into Responses events
/// (<see cref="ChatToResponsesStream"/>);</item>
/// <item>store the content (the request with its whole context, and the response), encrypted, if step 3 said so;
/// record one usage row, committed before the invocation ends (before the answer's end where the host holds it).</item>
/// </list>
/// The response id is <c>resp_</c> and the hex of Sluice's request id, so the stored response is found by it.
/// </summary>
public sealed partial class ResponsesHandler(
    GatewayAuthenticator authenticator,
    RouteSelector routeSelector,
    UsageMeter meter,
    TokenEstimator estimator,
    PayloadStore payloads,
    RequestBodyBudget bodyBudget,
    IOptions<StampOptions> stamp,
    IOptions<ProxyOptions> options,
    IOptions<UsageOptions> usageOptions,
    TimeProvider time,
    ILogger<ResponsesHandler> logger)
{
    /// <summary>A non-streamed answer larger than this is not a model's answer; the upstream is treated as broken.</summary>
    private const int MaxAnswerBytes = ChatToResponsesStream.MaxOutputBytes;

    // For the nested Relay, which cannot see the primary constructor's parameters.
    private ILogger Logger => logger;
    private TokenEstimator Estimator => estimator;
    private PayloadStore Payloads => payloads;
    private ProxyOptions Options => options.Value;
    private TimeProvider Time => time;

    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var started = time.GetTimestamp();
        var requestId = RequestId.New(time.GetUtcNow());
        context.Response.Headers["x-request-id"] = requestId.Value;
        var aborted = context.RequestAborted;

        // :: Step 1: authenticate.
        var (caller, authError) = await authenticator.AuthenticateAsync(context, CallerPurpose.Proxy);
        if (caller is null)
        {
            return authError!;
        }
        var row = new UsageRecord
        {
            RequestId = requestId,
            AccountId = caller.Account.Id,
            KeyId = caller.Key.Id,
            DataRegion = stamp.Value.DataRegion,
            Model = "",
            Status = 0,
        };

        // :: Step 2: read and validate the body.
        var (body, bodyError) = await RequestBody.ReadAsync(context.Request, options.Value.MaxRequestBodyBytes, bodyBudget, aborted);
        if (bodyError is not null)
        {
            return await RejectAsync(context, bodyError, row, started);
        }
        if (!ResponsesRequest.TryParse(body!, out var parsed, out var invalid))
        {
            return await RejectAsync(context, invalid!, row, started);
        }
        using var request = parsed!;
        row = row with { Model = request.Model, Streamed = request.Stream };

        // :: Step 3: routes, content consent, and the stored context of previous_response_id.
        var (policy, policyError) = routeSelector.EffectivePolicy(caller.Account, context.Request.Headers);
        if (policyError is not null)
        {
            return await RejectAsync(context, policyError, row, started);
        }
        var (routes, routeError) = routeSelector.Select(request.Model, caller.Key, policy!);
        if (routeError is not null)
        {
            return await RejectAsync(context, routeError, row, started);
        }
        var (contentDays, consentError) = ContentConsent.Decide(caller.Account.Retention, request.Store, context.Request.Headers);
        if (consentError is not null)
        {
            return await RejectAsync(context, consentError, row, started);
        }
        StoredResponse? previous = null;
        if (request.PreviousResponseId is { } previousId)
        {
            (previous, var previousError) = await StoredResponse.ReadAsync(payloads, caller.Account, previousId, "previous_response_id", aborted);
            if (previousError is not null)
            {
                return await RejectAsync(context, previousError, row, started);
            }
        }
        using var chain = previous;
        var history = previous?.Conversation() ?? [];
        var identity = new ResponseIdentity(ResponseIdentity.IdFor(requestId.Value), requestId.CreatedAt.ToUnixTimeSeconds(), Stored: contentDays > 0);
        using var capture = contentDays > 0 ? payloads.StartCapture(contentDays) : null;

        // :: Step 4: forward, failing over between allowed routes before the first byte.
        var forwarded = await ForwardAsync(request, history, routes, aborted);
        row = WithRoute(row, forwarded.Route);
        if (forwarded.Error is { } forwardError)
        {
            if (forwardError.Status == ApiError.StatusClientClosedRequest)
            {
                Log.ClientLeftBeforeAnswer(logger, row.RequestId.Value, forwarded.Route!.Id);
                var prompt = EstimatePrompt(request, history);
                row = row with { PromptTokens = prompt, CostNanoUsd = forwarded.Route.Pricing.CostNanoUsd(prompt, 0), UsageEstimated = true };
            }
            return await RejectAsync(context, forwardError, row, started);
        }
        using var upstream = forwarded.Upstream!;
        await using var translated = forwarded.Translated;
        var route = forwarded.Route!;
        if (forwarded.UpstreamError is { } upstreamError)
        {
            // Passed to the client that sent the prompt, never stored or logged: it may echo the prompt.
            await AnswerWholeAsync(context, row with { Status = upstreamError.Status, ErrorCode = upstreamError.Code }, started, () =>
            {
                var response = context.Response;
                response.StatusCode = upstreamError.Status;
                response.ContentType = "application/json";
                if (upstreamError is { Status: 429 or 503, RetryAfter: { } wait })
                {
                    response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }
                return response.Body.WriteAsync(upstreamError.Body, aborted).AsTask();
            });
            return Results.Empty;
        }

        // :: Step 5: relay; step 6 (content, row) runs inside, before the answer's end where the host holds it.
        var relay = new Relay(this, context, request, history, identity, route, capture, started);
        await relay.RunAsync(row, upstream.Message, translated);
        return Results.Empty;
    }

    /// <summary>What step 4 produced: a pass-through HTTP answer, or a translated chat answer; or why there is none.</summary>
    private sealed record Forwarded(ModelRoute? Route, UpstreamHandle? Upstream, UpstreamResponse? Translated, UpstreamError? UpstreamError, ApiError? Error);

    /// <summary>Owns the pass-through HTTP response (null for a translated answer, which its UpstreamResponse owns).</summary>
    private sealed class UpstreamHandle(HttpResponseMessage? message) : IDisposable
    {
        public HttpResponseMessage? Message => message;

        public void Dispose() => message?.Dispose();
    }

    private async Task<Forwarded> ForwardAsync(ResponsesRequest request, List<JsonElement> history, ImmutableArray<ModelRoute> routes,
        CancellationToken aborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(options.Value.UpstreamTimeout);
        ApiError? lastError = null;
        ModelRoute? lastRoute = null;
        for (var i = 0; i < routes.Length; i++)
        {
            var route = routes[i];
            lastRoute = route;
            HttpResponseMessage? message = null;
            UpstreamResponse? translated = null;
            ChatRequest? chat = null;
            try
            {
                if (route.Provider is IResponsesProvider native)
                {
                    using var body = new PooledBufferWriter(request.Body.Length + 256);
                    ResponsesPassThroughBody.Write(request, route.UpstreamModel, history, body);
                    message = await native.SendResponsesAsync(body, route, deadline.Token);
                }
                else
                {
                    var (translatedRequest, refused) = TranslateToChat(request, history);
                    if (refused is not null)
                    {
                        // Refused before any call; another route might speak Responses, so it is final only at the end.
                        lastError = refused;
                        continue;
                    }
                    chat = translatedRequest!;
                    translated = await route.Provider.SendAsync(chat, route, deadline.Token);
                }
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                return new Forwarded(route, null, null, null, ApiError.ClientClosedRequest());
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException || e.InnerException is TimeoutException)
            {
                Log.UpstreamFailed(logger, route.Id, "timeout");
                return new Forwarded(route, null, null, null, ApiError.UpstreamTimeout());
            }
            catch (HttpRequestException)
            {
                Log.UpstreamFailed(logger, route.Id, "unreachable");
                lastError = ApiError.UpstreamUnreachable();
                continue;
            }
            catch (Exception e) when (e is InvalidDataException or JsonException)
            {
                Log.UpstreamFailed(logger, route.Id, "bad_response");
                lastError = ApiError.UpstreamBadResponse();
                continue;
            }
            finally
            {
                // The chat request's body was sent; its translation is not needed after the headers.
                chat?.Dispose();
            }

            UpstreamError? error = translated?.Error;
            if (message is not null && !message.IsSuccessStatusCode)
            {
                error = await UpstreamHttp.ReadErrorAsync(message, aborted);
            }
            if (error is { IsRetryable: true } && i < routes.Length - 1)
            {
                Log.UpstreamFailed(logger, route.Id, error.Code);
                message?.Dispose();
                if (translated is not null)
                {
                    await translated.DisposeAsync();
                }
                continue;
            }
            deadline.CancelAfter(Timeout.InfiniteTimeSpan);
            return new Forwarded(route, new UpstreamHandle(message), translated, error, null);
        }
        return new Forwarded(lastRoute, null, null, null, lastError);
    }

    /// <summary>The chat request a chat-only route gets, or the 400 for what it cannot express.</summary>
    private static (ChatRequest? Request, ApiError? Error) TranslateToChat(ResponsesRequest request, List<JsonElement> history)
    {
        using var body = new PooledBufferWriter(request.Body.Length + 256);
        if (ResponsesToChat.Write(request, history, body) is { } refused)
        {
            return (null, refused);
        }
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(body.WrittenCount);
        body.WrittenSpan.CopyTo(rented);
        return ChatRequest.TryParse(rented, body.WrittenCount, out var chat, out var error) ? (chat, null) : (null, error);
    }

    /// <summary>Prompt tokens when no upstream reported them: the chat form's count, or about four bytes a token for
    /// what has no chat form.</summary>
    private int EstimatePrompt(ResponsesRequest request, List<JsonElement> history)
    {
        var (chat, _) = TranslateToChat(request, history);
        using (chat)
        {
            return chat is not null ? estimator.CountPrompt(chat) : request.Body.Length / 4;
        }
    }

    /// <summary>Step 5 and 6 for one answer: relays it, keeps what the content store needs, meters it once.</summary>
    private sealed class Relay(ResponsesHandler handler, HttpContext context, ResponsesRequest request, List<JsonElement> history,
        ResponseIdentity identity, ModelRoute route, PayloadCapture? capture, long started)
    {
        private static ReadOnlySpan<byte> Ping => ": ping\n\n"u8;

        private readonly CancellationToken _aborted = context.RequestAborted;
        private ResponsesUsage? _usage;
        private ChunkInspector? _chunks;
        private long _outputBytes;
        private double? _firstTokenMs;
        private bool _metered;
        private UsageRecord _row = null!;

        public async Task RunAsync(UsageRecord row, HttpResponseMessage? passThrough, UpstreamResponse? translated)
        {
            _row = row;
            int status;
            string? errorCode = null;
            try
            {
                var completed = request.Stream
                    ? passThrough is not null
                        ? await RelayEventsAsync(await passThrough.Content.ReadAsStreamAsync(_aborted))
                        : await RelayChatEventsAsync(translated!)
                    : await RelayJsonAsync(passThrough, translated);
                if (completed)
                {
                    await context.Response.CompleteAsync();
                    status = StatusCodes.Status200OK;
                }
                else
                {
                    // The upstream broke off mid-answer. Abort so the client cannot take a cut answer as complete.
                    status = StatusCodes.Status502BadGateway;
                    errorCode = "upstream_stream_broken";
                    Log.StreamBroken(handler.Logger, _row.RequestId.Value, route.Id);
                    context.Abort();
                }
            }
            catch (OperationCanceledException) when (_aborted.IsCancellationRequested)
            {
                status = ApiError.StatusClientClosedRequest;
                errorCode = "client_disconnected";
                Log.ClientDisconnected(handler.Logger, _row.RequestId.Value);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or InvalidDataException or JsonException)
            {
                status = StatusCodes.Status502BadGateway;
                errorCode = "upstream_stream_broken";
                Log.StreamBroken(handler.Logger, _row.RequestId.Value, route.Id);
                if (context.Response.HasStarted)
                {
                    context.Abort();
                }
                else
                {
                    await handler.AnswerWholeAsync(context, _row with { Status = 502, ErrorCode = "upstream_bad_response" }, started,
                        () => ApiError.UpstreamBadResponse().ExecuteAsync(context));
                    return;
                }
            }
            if (!_metered)
            {
                await MeterAsync(status, errorCode);
            }
        }

        /// <summary>A non-streamed answer: read whole (bounded), rewritten or translated, metered, then written.</summary>
        private async Task<bool> RelayJsonAsync(HttpResponseMessage? passThrough, UpstreamResponse? translated)
        {
            using var raw = new PooledBufferWriter(16 * 1024);
            await using (var source = passThrough is not null ? await passThrough.Content.ReadAsStreamAsync(_aborted) : translated!.Json!)
            {
                int read;
                while ((read = await source.ReadAsync(raw.GetMemory(16 * 1024), _aborted)) > 0)
                {
                    raw.Advance(read);
                    if (raw.WrittenCount > MaxAnswerBytes)
                    {
                        throw new InvalidDataException("An upstream answer exceeded the gateway's size limit.");
                    }
                }
            }
            _firstTokenMs = handler.ElapsedMs(started);
            using var answer = new PooledBufferWriter(raw.WrittenCount + 2048);
            if (passThrough is not null)
            {
                using var document = JsonDocument.Parse(raw.WrittenMemory);
                using (var w = new Utf8JsonWriter(answer, ResponseObject.WriterOptions))
                {
                    WriteOwnResponse(w, document.RootElement);
                }
                ReadUsage(document.RootElement);
            }
            else
            {
                ChatToResponses.Write(raw.WrittenSpan, request.Root, identity, answer);
                using var document = JsonDocument.Parse(answer.WrittenMemory);
                ReadUsage(document.RootElement);
                _outputBytes = raw.WrittenCount;
            }
            capture?.Observe(answer.WrittenSpan);
            if (handler.HoldsAnswerEnd)
            {
                await MeterAsync(StatusCodes.Status200OK, null);
            }
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            response.ContentLength = answer.WrittenCount;
            await response.Body.WriteAsync(answer.WrittenMemory, _aborted);
            return true;
        }

        /// <summary>A pass-through stream: each event copied, the lifecycle events' response rewritten to Sluice's id.
        /// Returns false when the stream ended without a terminal event.</summary>
        private async Task<bool> RelayEventsAsync(Stream source)
        {
            await StartStreamAsync();
            var writer = context.Response.BodyWriter;
            using var frame = new PooledBufferWriter(4096);
            await using (source)
            {
                await foreach (var item in SseParser.Create(source, static (type, data) => data.ToArray()).EnumerateAsync(_aborted))
                {
                    _firstTokenMs ??= handler.ElapsedMs(started);
                    frame.Clear();
                    var terminal = item.EventType is "response.completed" or "response.incomplete" or "response.failed";
                    if (item.EventType.StartsWith("response.", StringComparison.Ordinal) && IsLifecycle(item.EventType))
                    {
                        using var document = JsonDocument.Parse(item.Data);
                        WriteFrame(frame, item.EventType, w =>
                        {
                            w.WriteStartObject();
                            foreach (var property in document.RootElement.EnumerateObject())
                            {
                                if (property.NameEquals("response"u8) && property.Value.ValueKind == JsonValueKind.Object)
                                {
                                    w.WritePropertyName("response"u8);
                                    WriteOwnResponse(w, property.Value);
                                    ReadUsage(property.Value);
                                }
                                else
                                {
                                    property.WriteTo(w);
                                }
                            }
                            w.WriteEndObject();
                        });
                    }
                    else
                    {
                        if (item.EventType == "response.output_text.delta")
                        {
                            _outputBytes += item.Data.Length;
                        }
                        WriteFrame(frame, item.EventType, item.Data);
                    }
                    capture?.Observe(frame.WrittenSpan);
                    if (terminal && handler.HoldsAnswerEnd)
                    {
                        await MeterAsync(StatusCodes.Status200OK, null);
                    }
                    writer.Write(frame.WrittenSpan);
                    await writer.FlushAsync(_aborted);
                    if (terminal)
                    {
                        return true;
                    }
                }
            }
            return false;
        }

        /// <summary>A translated stream: chat chunks through <see cref="ChatToResponsesStream"/>, with a heartbeat
        /// comment while the upstream is silent.</summary>
        private async Task<bool> RelayChatEventsAsync(UpstreamResponse translated)
        {
            await StartStreamAsync();
            var writer = context.Response.BodyWriter;
            using var events = new ChatToResponsesStream(request.Root, identity, request.Model);
            using var frame = new PooledBufferWriter(4096);
            _chunks = new ChunkInspector();
            events.Start(frame);
            await WriteAsync(frame);
            var source = translated.Events!;
            while (await NextAsync(source))
            {
                _firstTokenMs ??= handler.ElapsedMs(started);
                var chunk = source.Current;
                _chunks.Inspect(chunk.Span);
                if (!events.Translate(chunk.Span, frame))
                {
                    // An in-band error: an honest failed response, metered as a broken stream.
                    events.Fail(frame);
                    capture?.Observe(frame.WrittenSpan);
                    _usage = events.Usage;
                    await WriteAsync(frame);
                    await MeterAsync(StatusCodes.Status502BadGateway, "upstream_stream_error");
                    return true;
                }
                await WriteAsync(frame);
            }
            if (!source.Completed)
            {
                return false;
            }
            events.Complete(frame);
            _usage = events.Usage;
            capture?.Observe(frame.WrittenSpan);
            if (handler.HoldsAnswerEnd)
            {
                await MeterAsync(StatusCodes.Status200OK, null);
            }
            writer.Write(frame.WrittenSpan);
            await writer.FlushAsync(_aborted);
            frame.Clear();
            return true;

            async Task WriteAsync(PooledBufferWriter pending)
            {
                if (pending.WrittenCount == 0)
                {
                    return;
                }
                capture?.Observe(pending.WrittenSpan);
                writer.Write(pending.WrittenSpan);
                pending.Clear();
                await writer.FlushAsync(_aborted);
            }
        }

        /// <summary>The next chat chunk, writing a heartbeat comment for each interval the upstream stays silent.</summary>
        private async Task<bool> NextAsync(IChatEventStream source)
        {
            var move = source.MoveNextAsync(_aborted);
            if (move.IsCompleted)
            {
                return move.Result;
            }
            var pending = move.AsTask();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(_aborted);
            while (await Task.WhenAny(pending, Task.Delay(handler.Options.StreamHeartbeatInterval, handler.Time, stop.Token)) != pending)
            {
                context.Response.BodyWriter.Write(Ping);
                await context.Response.BodyWriter.FlushAsync(_aborted);
            }
            await stop.CancelAsync();
            return await pending;
        }

        private async Task StartStreamAsync()
        {
            capture?.IsStream = true;
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await response.StartAsync(_aborted);
        }

        private static bool IsLifecycle(string type) =>
            type is "response.created" or "response.in_progress" or "response.queued" or "response.completed" or "response.incomplete" or "response.failed";

        /// <summary>The upstream's response object with Sluice's id, Sluice's <c>store</c> and the client's
        /// <c>previous_response_id</c> (the provider saw neither).</summary>
        private void WriteOwnResponse(Utf8JsonWriter w, JsonElement response)
        {
            w.WriteStartObject();
            foreach (var property in response.EnumerateObject())
            {
                if (property.NameEquals("id"u8))
                {
                    w.WriteString("id"u8, identity.Id);
                }
                else if (property.NameEquals("store"u8))
                {
                    w.WriteBoolean("store"u8, identity.Stored);
                }
                else if (property.NameEquals("previous_response_id"u8))
                {
                    w.WritePropertyName("previous_response_id"u8);
                    if (request.PreviousResponseId is { } previous)
                    {
                        w.WriteStringValue(previous);
                    }
                    else
                    {
                        w.WriteNullValue();
                    }
                }
                else
                {
                    property.WriteTo(w);
                }
            }
            w.WriteEndObject();
        }

        private void ReadUsage(JsonElement response)
        {
            if (response.TryGetProperty("usage"u8, out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                _usage = new ResponsesUsage(Count(usage, "input_tokens"u8), 0, Count(usage, "output_tokens"u8), 0);
            }
        }

        private static int Count(JsonElement usage, ReadOnlySpan<byte> name) =>
            usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 0;

        private static void WriteFrame(PooledBufferWriter frame, string type, Action<Utf8JsonWriter> data)
        {
            WriteFrameStart(frame, type);
            using (var w = new Utf8JsonWriter(frame, ResponseObject.WriterOptions))
            {
                data(w);
            }
            Append(frame, "\n\n"u8);
        }

        private static void WriteFrame(PooledBufferWriter frame, string type, ReadOnlySpan<byte> data)
        {
            WriteFrameStart(frame, type);
            Append(frame, data);
            Append(frame, "\n\n"u8);
        }

        private static void WriteFrameStart(PooledBufferWriter frame, string type)
        {
            if (type.Length > 0 && type != "message")
            {
                Append(frame, "event: "u8);
                Append(frame, System.Text.Encoding.UTF8.GetBytes(type));
                Append(frame, "\n"u8);
            }
            Append(frame, "data: "u8);
        }

        private static void Append(PooledBufferWriter frame, ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(frame.GetSpan(bytes.Length));
            frame.Advance(bytes.Length);
        }

        /// <summary>Step 6: stores the content (with the whole context of the turn) and records the row, once.</summary>
        private async Task MeterAsync(int status, string? errorCode)
        {
            _metered = true;
            var row = _row;
            var estimated = false;
            var usage = _usage ?? (_chunks?.Usage is { } chat ? new ResponsesUsage(chat.PromptTokens, 0, chat.CompletionTokens, 0) : null);
            if (usage is null)
            {
                estimated = true;
                var completion = _chunks is not null ? handler.Estimator.CountCompletion(_chunks) : (int)(_outputBytes / 4);
                usage = new ResponsesUsage(handler.EstimatePrompt(request, history), 0, completion, 0);
            }
            var u = usage.Value;
            if (capture is not null)
            {
                using var stored = new PooledBufferWriter(request.Body.Length + 256);
                ResponsesPassThroughBody.WriteWithContext(request, history, stored);
                using var document = JsonDocument.Parse(stored.WrittenMemory);
                if (await handler.Payloads.WriteAsync(stored.WrittenMemory, document.RootElement, capture, row, CancellationToken.None) is { } content)
                {
                    row = row with { ContentBlob = content.BlobName, ContentExpiresOn = content.ExpiresOn };
                }
            }
            await handler.RecordAsync(row with
            {
                Status = status,
                ErrorCode = errorCode,
                PromptTokens = u.InputTokens,
                CompletionTokens = u.OutputTokens,
                CostNanoUsd = route.Pricing.CostNanoUsd(u.InputTokens, u.OutputTokens),
                UsageEstimated = estimated,
                TimeToFirstTokenMs = _firstTokenMs,
            }, started);
        }
    }

    private async Task<IResult> RejectAsync(HttpContext context, ApiError error, UsageRecord row, long started)
    {
        var done = row with { Status = error.Status, ErrorCode = error.Code };
        if (error.Status == ApiError.StatusClientClosedRequest)
        {
            await RecordAsync(done, started);
            return Results.Empty;
        }
        await AnswerWholeAsync(context, done, started, () => error.ExecuteAsync(context));
        return Results.Empty;
    }

    private bool HoldsAnswerEnd => usageOptions.Value is { WaitForCommit: true, HoldAnswerEndUntilCommit: true };

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

    private Task RecordAsync(UsageRecord row, long started)
    {
        var done = row with { LatencyMs = ElapsedMs(started) };
        Log.Served(logger, done.RequestId.Value, done.Model, done.RouteId, done.Status, done.LatencyMs);
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
        [LoggerMessage(1, LogLevel.Debug, "Response request {RequestId} for {Model} via {RouteId} ended with {Status} after {LatencyMs} ms.")]
        public static partial void Served(ILogger logger, string requestId, string model, string? routeId, int status, double latencyMs);

        [LoggerMessage(2, LogLevel.Warning, "Upstream route {RouteId} failed: {Failure}.")]
        public static partial void UpstreamFailed(ILogger logger, string routeId, string failure);

        [LoggerMessage(3, LogLevel.Debug, "Client disconnected from request {RequestId}; the upstream call was cancelled.")]
        public static partial void ClientDisconnected(ILogger logger, string requestId);

        [LoggerMessage(4, LogLevel.Warning, "Upstream route {RouteId} broke off the answer of request {RequestId}.")]
        public static partial void StreamBroken(ILogger logger, string requestId, string routeId);

        [LoggerMessage(5, LogLevel.Information, "Client disconnected from request {RequestId} before route {RouteId} answered; the upstream call was cancelled and is metered with an estimated prompt.")]
        public static partial void ClientLeftBeforeAnswer(ILogger logger, string requestId, string routeId);
    }
}
