using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>
/// Anthropic's Messages API (<c>POST {BaseUrl}messages</c>, BaseUrl defaulting to <c>https://api.anthropic.com/v1/</c>,
/// key in <c>x-api-key</c>), translated both ways so that clients keep speaking OpenAI: the request by
/// <see cref="AnthropicRequestBody"/>, a message back into a <c>chat.completion</c> here, and a stream into
/// <c>chat.completion.chunk</c> events by <see cref="AnthropicEventStream"/>. Anthropic's error bodies come back in
/// OpenAI's error shape through <see cref="UpstreamHttp.ReadErrorAsync"/>.
/// </summary>
public sealed class AnthropicProvider(IHttpClientFactory httpClients, TimeProvider time) : IChatProvider, INativeProvider
{
    /// <summary>The Messages API version this translation is written against.</summary>
    public const string ApiVersion = "2023-06-01";

    /// <summary>
    /// <c>max_tokens</c> sent when the client set none: Anthropic requires one, OpenAI does not. 4096 is the largest
    /// limit every Claude model accepts (Claude 3 Haiku's maximum output), so no route fails for it.
    /// </summary>
    public const int DefaultMaxTokens = 4096;

    /// <summary>A non-streamed message larger than this is not a chat answer; the upstream is treated as broken.</summary>
    private const int MaxMessageBytes = 8 * 1024 * 1024;

    private static readonly Uri s_defaultBase = new("https://api.anthropic.com/v1/");

    // Built once per route rather than per request, as the OpenAI providers do.
    private readonly ConditionalWeakTable<ModelRoute, Uri> _endpoints = new();
    private readonly ConditionalWeakTable<ModelRoute, Uri> _countTokens = new();

    /// <summary>Text is copied as it is (no escaping of non-ASCII or HTML characters, which only matters inside HTML).</summary>
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string Name => "anthropic";

    public void Validate(ModelRoute route)
    {
    }

    public async Task<UpstreamResponse> SendAsync(ChatRequest request, ModelRoute route, CancellationToken cancellationToken)
    {
        using var body = new PooledBufferWriter(request.Body.Length + 256);
        if (AnthropicRequestBody.Write(request, route.UpstreamModel, DefaultMaxTokens, body) is { } invalid)
        {
            // Refused before any call: the request cannot be expressed in the Messages API.
            var json = JsonSerializer.SerializeToUtf8Bytes(new ErrorEnvelope(new ErrorBody(invalid.Message, invalid.Type, invalid.Param, invalid.Code)),
                WireJson.Wire.ErrorEnvelope);
            return UpstreamResponse.ForError(new UpstreamError(invalid.Status, json, invalid.Code));
        }
        var response = await SendNativeAsync(NativeOperation.Messages, route, body, null, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return UpstreamResponse.ForError(await UpstreamHttp.ReadErrorAsync(response, cancellationToken), response);
        }
        var isEventStream = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
        if (request.Stream && isEventStream)
        {
            var events = await response.Content.ReadAsStreamAsync(cancellationToken);
            return UpstreamResponse.ForEvents(new AnthropicEventStream(events, time), response);
        }
        using (response)
        {
            if (request.Stream || isEventStream)
            {
                throw new InvalidDataException("The upstream answered in a different format than the one requested.");
            }
            return await TranslateMessageAsync(response, route.UpstreamModel, cancellationToken);
        }
    }

    public bool Serves(ModelRoute route, NativeOperation operation) => operation is NativeOperation.Messages or NativeOperation.MessagesCountTokens;

    /// <summary>Sends to <c>messages</c> or <c>messages/count_tokens</c> with the route's key and
    /// <see cref="ApiVersion"/>; <paramref name="headers"/> may add the client's <c>anthropic-beta</c>.</summary>
    public Task<HttpResponseMessage> SendNativeAsync(NativeOperation operation, ModelRoute route, PooledBufferWriter body,
        Action<System.Net.Http.Headers.HttpRequestHeaders>? headers, CancellationToken cancellationToken)
    {
        var uri = operation switch
        {
            NativeOperation.Messages => _endpoints.GetValue(route, static r => new Uri(r.BaseUrl ?? s_defaultBase, "messages")),
            NativeOperation.MessagesCountTokens => _countTokens.GetValue(route, static r => new Uri(r.BaseUrl ?? s_defaultBase, "messages/count_tokens")),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "Not an Anthropic operation."),
        };
        return UpstreamHttp.SendJsonAsync(UpstreamHttp.Create(httpClients), uri, body, h =>
        {
            if (route.Credential.Value is { } key)
            {
                h.Add("x-api-key", key);
            }
            h.Add("anthropic-version", ApiVersion);
            headers?.Invoke(h);
        }, cancellationToken);
    }

    /// <summary>Reads a (bounded) Messages response and rewrites it as a <c>chat.completion</c>. A non-streamed
    /// answer has to be read whole to be translated; nothing has reached the client yet, so a connection that
    /// breaks here is reported as unreachable and the next route may serve the request.</summary>
    private async Task<UpstreamResponse> TranslateMessageAsync(HttpResponseMessage response, string upstreamModel, CancellationToken cancellationToken)
    {
        using var raw = new PooledBufferWriter(16 * 1024);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            int read;
            while ((read = await body.ReadAsync(raw.GetMemory(16 * 1024), cancellationToken)) > 0)
            {
                raw.Advance(read);
                if (raw.WrittenCount > MaxMessageBytes)
                {
                    throw new InvalidDataException("An upstream message exceeded the gateway's size limit.");
                }
            }
        }
        catch (IOException e)
        {
            throw new HttpRequestException(HttpRequestError.ResponseEnded, "The upstream connection broke while sending its answer.", e);
        }

        var output = new PooledBufferWriter(raw.WrittenCount + 512);
        try
        {
            WriteCompletion(raw.WrittenMemory, upstreamModel, output);
            MemoryMarshal.TryGetArray(output.WrittenMemory, out var segment);
            return UpstreamResponse.ForJson(new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false), segment.Count, output);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private static JsonDocument ParseMessage(ReadOnlyMemory<byte> json)
    {
        try
        {
            var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new InvalidDataException("The upstream message is not a JSON object.");
            }
            return document;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The upstream message is not valid JSON.", e);
        }
    }

    /// <summary>Translates a whole Messages response into a <c>chat.completion</c> body.</summary>
    internal void WriteCompletion(ReadOnlyMemory<byte> messageJson, string upstreamModel, PooledBufferWriter output)
    {
        using var message = ParseMessage(messageJson);
        WriteCompletion(message.RootElement, upstreamModel, output);
    }

    private void WriteCompletion(JsonElement message, string upstreamModel, PooledBufferWriter output)
    {
        using var w = new Utf8JsonWriter(output, WriterOptions);
        w.WriteStartObject();
        w.WriteString("id"u8, Text(message, "id"u8) ?? "msg");
        w.WriteString("object"u8, "chat.completion"u8);
        w.WriteNumber("created"u8, time.GetUtcNow().ToUnixTimeSeconds());
        w.WriteString("model"u8, Text(message, "model"u8) ?? upstreamModel);
        w.WriteStartArray("choices"u8);
        w.WriteStartObject();
        w.WriteNumber("index"u8, 0);
        w.WriteStartObject("message"u8);
        w.WriteString("role"u8, "assistant"u8);
        var content = message.TryGetProperty("content"u8, out var c) && c.ValueKind == JsonValueKind.Array ? c : default;
        WriteText(w, content);
        w.WriteNull("refusal"u8);
        WriteToolCalls(w, content);
        w.WriteEndObject();
        w.WriteNull("logprobs"u8);
        w.WriteString("finish_reason"u8, FinishReason(Text(message, "stop_reason"u8)));
        w.WriteEndObject();
        w.WriteEndArray();
        if (message.TryGetProperty("usage"u8, out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            var tokens = MessageUsage.From(usage);
            tokens.WriteTo(w);
        }
        w.WriteEndObject();
    }

    /// <summary>The text blocks, joined; null when there are none (a pure tool call), as OpenAI answers.</summary>
    private static void WriteText(Utf8JsonWriter w, JsonElement content)
    {
        JsonElement? single = null;
        StringBuilder? joined = null;
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                if (!IsBlock(block, "text"u8) || !block.TryGetProperty("text"u8, out var text) || text.ValueKind != JsonValueKind.String)
                {
                    continue;
                }
                if (single is null)
                {
                    single = text;
                }
                else
                {
                    joined ??= new StringBuilder(single.Value.GetString());
                    joined.Append(text.GetString());
                }
            }
        }
        w.WritePropertyName("content"u8);
        if (joined is not null)
        {
            w.WriteStringValue(joined.ToString());
        }
        else if (single is { } one)
        {
            one.WriteTo(w);
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static void WriteToolCalls(Utf8JsonWriter w, JsonElement content)
    {
        var open = false;
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                if (!IsBlock(block, "tool_use"u8))
                {
                    continue;
                }
                if (!open)
                {
                    w.WriteStartArray("tool_calls"u8);
                    open = true;
                }
                w.WriteStartObject();
                w.WriteString("id"u8, Text(block, "id"u8) ?? "");
                w.WriteString("type"u8, "function"u8);
                w.WriteStartObject("function"u8);
                w.WriteString("name"u8, Text(block, "name"u8) ?? "");
                // OpenAI carries tool arguments as a string of JSON; Anthropic as the object itself.
                w.WriteString("arguments"u8, block.TryGetProperty("input"u8, out var input) ? input.GetRawText() : "{}");
                w.WriteEndObject();
                w.WriteEndObject();
            }
        }
        if (open)
        {
            w.WriteEndArray();
        }
    }

    /// <summary>Anthropic's <c>stop_reason</c> as OpenAI's <c>finish_reason</c>.</summary>
    internal static string FinishReason(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        // end_turn, stop_sequence, pause_turn, and anything newer: the answer ended normally.
        _ => "stop",
    };

    private static bool IsBlock(JsonElement block, ReadOnlySpan<byte> type) =>
        block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String && t.ValueEquals(type);

    internal static string? Text(JsonElement element, ReadOnlySpan<byte> name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}

/// <summary>
/// Anthropic's usage counts as OpenAI's. Cache reads and cache writes are input the model read, so they count
/// into <c>prompt_tokens</c> (Anthropic reports them apart from <c>input_tokens</c>); cache reads also show as
/// <c>prompt_tokens_details.cached_tokens</c>, as OpenAI reports its own cache hits.
/// </summary>
internal readonly record struct MessageUsage(int InputTokens, int CacheCreationTokens, int CacheReadTokens, int OutputTokens)
{
    public int PromptTokens => InputTokens + CacheCreationTokens + CacheReadTokens;

    public static MessageUsage From(JsonElement usage, MessageUsage previous = default) => new(
        Count(usage, "input_tokens"u8) ?? previous.InputTokens,
        Count(usage, "cache_creation_input_tokens"u8) ?? previous.CacheCreationTokens,
        Count(usage, "cache_read_input_tokens"u8) ?? previous.CacheReadTokens,
        Count(usage, "output_tokens"u8) ?? previous.OutputTokens);

    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject("usage"u8);
        w.WriteNumber("prompt_tokens"u8, PromptTokens);
        w.WriteNumber("completion_tokens"u8, OutputTokens);
        w.WriteNumber("total_tokens"u8, PromptTokens + OutputTokens);
        w.WriteStartObject("prompt_tokens_details"u8);
        w.WriteNumber("cached_tokens"u8, CacheReadTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static int? Count(JsonElement usage, ReadOnlySpan<byte> name) =>
        usage.ValueKind == JsonValueKind.Object && usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n)
            ? n
            : null;
}
