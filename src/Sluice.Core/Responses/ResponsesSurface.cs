using System.Diagnostics.CodeAnalysis;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.Wire;
using Sluice.Payloads;
using Sluice.Providers;
using Sluice.Routing;
using Sluice.Surfaces;
using Sluice.Translation;
using Sluice.Usage;

namespace Sluice.Responses;

/// <summary>
/// <c>POST /v1/responses</c>, OpenAI's Responses API, on the one gateway path (<see cref="GatewayFlow"/>). To a route
/// whose upstream speaks Responses (OpenAI, Azure OpenAI) the body passes through with the model rewritten and
/// <c>store: false</c> forced (<see cref="ResponsesPassThroughBody"/>), and the upstream's events are relayed with the
/// response's id, <c>store</c> and <c>previous_response_id</c> rewritten to Sluice's. To any other route it is
/// translated to the Chat Completions hub (<see cref="ResponsesToChat"/>: what cannot be expressed is a 400 before
/// any call) and the answer back (<see cref="ChatToResponses"/>, <see cref="ChatToResponsesStream"/>).
/// <c>previous_response_id</c> is resolved from Sluice's own encrypted content store (<see cref="StoredResponse"/>).
/// The response id is <c>resp_</c> and the hex of Sluice's request id, so the stored response is found by it.
/// </summary>
public sealed class ResponsesSurface(PayloadStore payloads) : Surface
{
    public override string Endpoint => "responses";

    public override bool TryCreateRequest(BufferedBody body, HttpRequest http, [NotNullWhen(true)] out SurfaceRequest? request, [NotNullWhen(false)] out ApiError? error)
    {
        request = null;
        if (!ResponsesRequest.TryParse(body, out var parsed, out error))
        {
            return false;
        }
        request = new ResponsesSurfaceRequest(parsed!, payloads) { Model = parsed!.Model, Stream = parsed.Stream, Store = parsed.Store };
        return true;
    }
}

/// <summary>One Responses request on its way through the flow; owns the stored chain it continues.</summary>
internal sealed class ResponsesSurfaceRequest(ResponsesRequest request, PayloadStore payloads) : SurfaceRequest
{
    private StoredResponse? _previous;
    private List<JsonElement> _history = [];
    private PooledBufferWriter? _withContext;
    private JsonDocument? _withContextDocument;
    private ResponseIdentity _identity = new(ResponseIdentity.Prefix + "0", 0, false);

    /// <summary>What is stored: the request with its whole context (the chain's items in <c>input</c>).</summary>
    public override ReadOnlyMemory<byte> Body => _withContext?.WrittenMemory ?? request.Body;

    public override JsonElement Root => _withContextDocument?.RootElement ?? request.Root;

    public override async Task<ApiError?> PrepareAsync(SurfaceContext context, CancellationToken cancellationToken)
    {
        _identity = new ResponseIdentity(ResponseIdentity.IdFor(context.RequestId.Value), context.RequestId.CreatedAt.ToUnixTimeSeconds(),
            Stored: context.ContentDays > 0);
        if (request.PreviousResponseId is not { } previousId)
        {
            return null;
        }
        if (!(await StoredResponse.ReadAsync(payloads, context.Account, previousId, "previous_response_id", cancellationToken)).TryGet(out var previous, out var error))
        {
            return error;
        }
        _previous = previous;
        _history = previous.Conversation();
        _withContext = new PooledBufferWriter(request.Body.Length + 1024);
        ResponsesPassThroughBody.WriteWithContext(request, _history, _withContext);
        _withContextDocument = JsonDocument.Parse(_withContext.WrittenMemory);
        return null;
    }

    public override int EstimatePromptTokens(TokenEstimator estimator)
    {
        if (!ResponsesChat.Translate(request, _history).TryGet(out var chat, out _))
        {
            return Body.Length / 4;
        }
        using (chat)
        {
            return estimator.CountPrompt(chat);
        }
    }

    public override async Task<SurfaceAnswer> SendAsync(ModelRoute route, HttpRequest http, CancellationToken cancellationToken)
    {
        if (route.Provider is INativeProvider native && native.Serves(route, NativeOperation.Responses))
        {
            using var body = new PooledBufferWriter(request.Body.Length + 256);
            ResponsesPassThroughBody.Write(request, route.UpstreamModel, _history, body);
            var message = await native.SendNativeAsync(NativeOperation.Responses, route, body, null, cancellationToken);
            return await ResponsesPassThroughAnswer.ReadAsync(message, request, _identity, cancellationToken);
        }

        if (!ResponsesChat.Translate(request, _history).TryGet(out var chat, out var refused))
        {
            return SurfaceAnswer.Refused(refused);
        }
        UpstreamResponse hub;
        using (chat)
        {
            hub = await route.Provider.SendAsync(chat, route, cancellationToken);
        }
        if (hub.Error is { } error)
        {
            await hub.DisposeAsync();
            return SurfaceAnswer.ForError(error);
        }
        var meter = new ChatAnswerMeter();
        if (hub.Events is not null)
        {
            var events = new TranslatedResponsesStream(hub.Events, meter, new ChatToResponsesStream(request.Root, _identity, request.Model));
            return new SurfaceAnswer(UpstreamResponse.ForEvents(events), new HubMeter(meter, () => events.AtEnd), default) { Hub = hub };
        }
        await using (hub)
        {
            using var completion = await ChatToMessages.ReadWholeAsync(hub.Json!, cancellationToken);
            meter.Append(completion.WrittenSpan);
            var answer = new PooledBufferWriter(completion.WrittenCount + 2048);
            try
            {
                ChatToResponses.Write(completion.WrittenSpan, request.Root, _identity, answer);
                return PassThrough.PooledJson(answer, new HubMeter(meter));
            }
            catch
            {
                answer.Dispose();
                throw;
            }
        }
    }

    public override void Dispose()
    {
        _withContextDocument?.Dispose();
        _withContext?.Dispose();
        _previous?.Dispose();
        request.Dispose();
    }
}

/// <summary>The Chat Completions form of a Responses request.</summary>
internal static class ResponsesChat
{
    /// <summary>The chat request a chat-only route gets, or the 400 for what it cannot express.</summary>
    public static Outcome<ChatRequest> Translate(ResponsesRequest request, IReadOnlyList<JsonElement> history)
    {
        using var body = new PooledBufferWriter(request.Body.Length + 256);
        if (ResponsesToChat.Write(request, history, body) is { } refused)
        {
            return refused;
        }
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(body.WrittenCount);
        body.WrittenSpan.CopyTo(rented);
        return ChatRequest.TryParse(rented, body.WrittenCount, out var chat, out var error) ? chat : error;
    }
}

/// <summary>
/// Chat chunks in, Responses events out: each chunk's events (often several: an item's done events and the next
/// item's added events) come out as one framed piece; after the hub's <c>[DONE]</c>, one last piece closes the open
/// item and carries <c>response.completed</c>, which the relay holds until the usage row commits (<see cref="AtEnd"/>).
/// </summary>
internal sealed class TranslatedResponsesStream(IChatEventStream hub, ChatAnswerMeter meter, ChatToResponsesStream translator) : IChatEventStream
{
    private readonly PooledBufferWriter _frame = new(4096);
    private bool _started;
    private bool _done;

    /// <summary>The current piece is the stream's last (response.completed, .incomplete or .failed).</summary>
    public bool AtEnd { get; private set; }

    public bool Completed { get; private set; }

    public ReadOnlyMemory<byte> Current => _frame.WrittenMemory;

    public ReadOnlyMemory<byte> RawEvent => _frame.WrittenMemory;

    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        _frame.Clear();
        if (_done)
        {
            return false;
        }
        if (!_started)
        {
            _started = true;
            translator.Start(_frame);
            return true;
        }
        while (await hub.MoveNextAsync(cancellationToken))
        {
            if (!translator.Translate(hub.Current.Span, _frame, meter.Inspector))
            {
                // An in-band error chunk: an honest response.failed ends the stream.
                translator.Fail(_frame);
                return End();
            }
            if (_frame.WrittenCount > 0)
            {
                return true;
            }
        }
        if (!hub.Completed)
        {
            return false;
        }
        translator.Complete(_frame);
        return End();
    }

    private bool End()
    {
        _done = true;
        AtEnd = true;
        Completed = true;
        return true;
    }

    public ValueTask DisposeAsync()
    {
        translator.Dispose();
        _frame.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A Responses upstream's answer (pass-through), with the response object's <c>id</c>, <c>store</c> and
/// <c>previous_response_id</c> made Sluice's: the provider's id names nothing it keeps (it was told store:false).
/// </summary>
internal static class ResponsesPassThroughAnswer
{
    public static async Task<SurfaceAnswer> ReadAsync(HttpResponseMessage message, ResponsesRequest request, ResponseIdentity identity,
        CancellationToken cancellationToken)
    {
        try
        {
            if (!message.IsSuccessStatusCode)
            {
                using (message)
                {
                    return SurfaceAnswer.ForError(await UpstreamHttp.ReadErrorAsync(message, cancellationToken));
                }
            }
            var isEventStream = message.Content.Headers.ContentType?.MediaType == "text/event-stream";
            if (request.Stream != isEventStream)
            {
                throw new InvalidDataException("The upstream answered in a different format than the one requested.");
            }
            var body = await message.Content.ReadAsStreamAsync(cancellationToken);
            if (isEventStream)
            {
                var meter = new ResponsesMeter();
                return new SurfaceAnswer(UpstreamResponse.ForEvents(new ResponsesEventStream(body, request, identity, meter), message), meter, default);
            }
            using (message)
            {
                using var raw = await ChatToMessages.ReadWholeAsync(body, cancellationToken);
                using var document = ParseObject(raw.WrittenMemory);
                var meter = new ResponsesMeter();
                meter.Read(document.RootElement);
                var answer = new PooledBufferWriter(raw.WrittenCount + 256);
                using (var w = new Utf8JsonWriter(answer, ResponseObject.WriterOptions))
                {
                    WriteOwnResponse(w, document.RootElement, request, identity);
                }
                return PassThrough.PooledJson(answer, meter);
            }
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    internal static JsonDocument ParseObject(ReadOnlyMemory<byte> json)
    {
        try
        {
            var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }
            document.Dispose();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("An upstream Responses answer is not valid JSON.", e);
        }
        throw new InvalidDataException("An upstream Responses answer is not a JSON object.");
    }

    /// <summary>The upstream's response object with Sluice's id, Sluice's <c>store</c> and the client's
    /// <c>previous_response_id</c> (the provider saw neither).</summary>
    internal static void WriteOwnResponse(Utf8JsonWriter w, JsonElement response, ResponsesRequest request, ResponseIdentity identity)
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
}

/// <summary>
/// A Responses upstream's event stream, event by event, framed again with its <c>event:</c> line: the lifecycle
/// events (<c>response.created</c>, <c>.in_progress</c>, <c>.completed</c>, …) with their response rewritten by
/// <see cref="ResponsesPassThroughAnswer.WriteOwnResponse"/>, every other event copied as it came. Holds one event.
/// </summary>
internal sealed class ResponsesEventStream(Stream source, ResponsesRequest request, ResponseIdentity identity, ResponsesMeter meter) : IChatEventStream
{
    private readonly PooledBufferWriter _frame = new(4096);
    private readonly PooledBufferWriter _data = new(4096);
    private IAsyncEnumerator<SseItem<byte[]>>? _events;
    private Utf8JsonWriter? _writer;

    public ReadOnlyMemory<byte> Current => _data.WrittenMemory;

    public ReadOnlyMemory<byte> RawEvent => _frame.WrittenMemory;

    public bool Completed { get; private set; }

    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        _frame.Clear();
        _data.Clear();
        _events ??= SseParser.Create(source, static (_, data) => data.ToArray()).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        if (!await _events.MoveNextAsync())
        {
            return false;
        }
        var item = _events.Current;
        var type = item.EventType;
        if (type is "response.created" or "response.in_progress" or "response.queued" or "response.completed" or "response.incomplete" or "response.failed")
        {
            using var document = ResponsesPassThroughAnswer.ParseObject(item.Data);
            if (_writer is null)
            {
                _writer = new Utf8JsonWriter(_data, ResponseObject.WriterOptions);
            }
            else
            {
                _writer.Reset(_data);
            }
            _writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("response"u8) && property.Value.ValueKind == JsonValueKind.Object)
                {
                    _writer.WritePropertyName("response"u8);
                    ResponsesPassThroughAnswer.WriteOwnResponse(_writer, property.Value, request, identity);
                }
                else
                {
                    property.WriteTo(_writer);
                }
            }
            _writer.WriteEndObject();
            _writer.Flush();
            Completed |= type is "response.completed" or "response.incomplete" or "response.failed";
        }
        else
        {
            Append(_data, item.Data);
        }
        meter.EventType = type;
        if (type != "message")
        {
            Append(_frame, "event: "u8);
            Append(_frame, System.Text.Encoding.UTF8.GetBytes(type));
            Append(_frame, "\n"u8);
        }
        Append(_frame, "data: "u8);
        Append(_frame, _data.WrittenSpan);
        Append(_frame, "\n\n"u8);
        return true;
    }

    private static void Append(PooledBufferWriter output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    public async ValueTask DisposeAsync()
    {
        if (_events is not null)
        {
            await _events.DisposeAsync();
        }
        await source.DisposeAsync();
        _writer?.Dispose();
        _frame.Dispose();
        _data.Dispose();
    }
}

/// <summary>Usage in the Responses shape (<c>input_tokens</c>, <c>output_tokens</c>, cached and reasoning details),
/// read from the terminal event's response (which ends the stream) or from a whole response.</summary>
internal sealed class ResponsesMeter : IAnswerMeter
{
    private long _deltaBytes;

    /// <summary>The SSE event type of the event being inspected (set by <see cref="ResponsesEventStream"/>).</summary>
    public string EventType { get; set; } = "";

    public TokenUsage? Usage { get; private set; }

    public AnswerEvent Inspect(ReadOnlySpan<byte> data)
    {
        if (EventType is "response.output_text.delta" or "response.function_call_arguments.delta")
        {
            _deltaBytes += data.Length;
            return AnswerEvent.Relay;
        }
        if (EventType is not ("response.completed" or "response.incomplete" or "response.failed" or "error"))
        {
            return AnswerEvent.Relay;
        }
        var reader = new Utf8JsonReader(data);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (EventType == "error")
        {
            // Said before the stream breaks off (or before response.failed): the row's failure either way.
            Failure = Code(root);
            return AnswerEvent.Relay;
        }
        if (root.TryGetProperty("response"u8, out var response))
        {
            Read(response);
        }
        if (EventType == "response.failed")
        {
            Failure = response.ValueKind == JsonValueKind.Object && response.TryGetProperty("error"u8, out var error) ? Code(error) : "";
            return AnswerEvent.Failed;
        }
        return AnswerEvent.End;
    }

    /// <summary>A Responses failure as the stream reported it.</summary>
    public string? Failure { get; private set; }

    private static string Code(JsonElement error) =>
        error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code"u8, out var code) && code.ValueKind == JsonValueKind.String
            ? code.GetString()! : "";

    public void Read(JsonElement response)
    {
        if (!response.TryGetProperty("usage"u8, out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        Usage = new TokenUsage(Count(usage, "input_tokens"u8, default), Count(usage, "output_tokens"u8, default))
        {
            CachedTokens = Count(usage, "input_tokens_details"u8, "cached_tokens"u8),
            ReasoningTokens = Count(usage, "output_tokens_details"u8, "reasoning_tokens"u8),
        };
    }

    private static int Count(JsonElement usage, ReadOnlySpan<byte> name, ReadOnlySpan<byte> detail)
    {
        if (!usage.TryGetProperty(name, out var value))
        {
            return 0;
        }
        if (!detail.IsEmpty && (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(detail, out value)))
        {
            return 0;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : 0;
    }

    /// <summary>A whole answer's usage was read before it was relayed.</summary>
    public void Append(ReadOnlySpan<byte> json)
    {
    }

    /// <summary>About four bytes of delta events a token: the text is JSON inside JSON, so this leans high.</summary>
    public int EstimateCompletion(TokenEstimator estimator) => (int)(_deltaBytes / 16);

    public void Dispose()
    {
    }
}
