using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Routing;
using Sluice.Translation;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Surfaces;

/// <summary>
/// <c>POST /v1/messages</c>, Anthropic's Messages API (what Claude Code and the Anthropic SDKs speak). On an Anthropic
/// route the body passes through (<see cref="PassThrough"/>): only <c>model</c> rewritten and <c>store</c> removed, the
/// client's <c>anthropic-beta</c> forwarded, so cache control, thinking and beta features survive, and the answer is
/// relayed as Anthropic framed it. On any other route it is translated to the hub (<see cref="MessagesToChat"/>) and
/// the answer back (<see cref="ChatToMessages"/>, <see cref="ChatToMessagesEventStream"/>). Errors are Anthropic's
/// <c>{"type":"error","error":{"type","message"}}</c>, with the statuses of the OpenAI surface.
/// </summary>
public sealed class MessagesSurface : Surface
{
    public const string Name = "messages";

    public override string Endpoint => Name;

    public override bool TryCreateRequest(BufferedBody body, HttpRequest http, [NotNullWhen(true)] out SurfaceRequest? request, [NotNullWhen(false)] out ApiError? error)
    {
        request = null;
        if (!MessagesRequest.TryParse(body, requireMaxTokens: true, out var document, out var model, out var stream, out var store, out error))
        {
            return false;
        }
        request = new MessagesRequest(body, document) { Model = model!, Stream = stream, Store = store };
        return true;
    }

    public override Task WriteErrorAsync(HttpContext context, ApiError error) => AnthropicErrors.WriteAsync(context, error);

    public override ReadOnlyMemory<byte> ShapeUpstreamError(UpstreamError error) => AnthropicErrors.Reshape(error);
}

/// <summary>A validated Messages request (the body of <c>/v1/messages</c> or <c>/v1/messages/count_tokens</c>).</summary>
internal sealed class MessagesRequest(BufferedBody body, JsonDocument document) : SurfaceRequest
{
    private static readonly string[] s_roles = ["user", "assistant"];

    public override ReadOnlyMemory<byte> Body => body.Memory;

    public override JsonElement Root => document.RootElement;

    /// <summary>The Messages request as a Chat Completions request, for the estimator and for translated routes.</summary>
    public Outcome<ChatRequest> ToChat()
    {
        using var translated = new PooledBufferWriter(body.Length + 256);
        if (MessagesToChat.Write(Root, Model, Stream, translated) is { } refusal)
        {
            return refusal;
        }
        if (!body.TryHold(translated.WrittenCount))
        {
            return ApiError.GatewayBusy();
        }
        var array = BodyArrays.Rent(translated.WrittenCount);
        translated.WrittenSpan.CopyTo(array);
        return ChatRequest.TryParse(array, translated.WrittenCount, out var chat, out var error) ? chat : error;
    }

    public override int EstimatePromptTokens(TokenEstimator estimator)
    {
        // Every text the model reads, counted like a chat prompt. A request a translation refuses is still counted:
        // its JSON text, which bounds what the model read.
        if (!ToChat().TryGet(out var chat, out _))
        {
            return estimator.Count(System.Text.Encoding.UTF8.GetString(Body.Span));
        }
        using (chat)
        {
            return estimator.CountPrompt(chat);
        }
    }

    public override async Task<SurfaceAnswer> SendAsync(ModelRoute route, HttpRequest http, CancellationToken cancellationToken)
    {
        if (route.Provider is INativeProvider native && native.Serves(route, NativeOperation.Messages))
        {
            // :: Pass-through: the client's shape is the route's.
            using var passed = PassThrough.WriteBody(Root, body.Length, route.UpstreamModel);
            var response = await native.SendNativeAsync(NativeOperation.Messages, route, passed, PassThrough.AnthropicBeta(http), cancellationToken);
            return await PassThrough.ReadAsync(response, Stream, new AnthropicAnswerMeter(), cancellationToken);
        }

        // :: Translated: Messages → Chat Completions → the route's provider → back to Messages.
        UpstreamResponse hub;
        if (!ToChat().TryGet(out var chat, out var refusal))
        {
            return SurfaceAnswer.Refused(refusal);
        }
        using (chat)
        {
            hub = await route.Provider.SendAsync(chat, route, cancellationToken);
        }
        var meter = new ChatAnswerMeter();
        try
        {
            if (hub.Events is not null)
            {
                var events = new ChatToMessagesEventStream(hub.Events, meter.Inspector, route.UpstreamModel);
                return new SurfaceAnswer(UpstreamResponse.ForEvents(events), new HubMeter(meter, () => events.CurrentIsEnd), default) { Hub = hub };
            }
            if (hub.Json is not null)
            {
                await using (hub)
                {
                    using var whole = await ChatToMessages.ReadWholeAsync(hub.Json, cancellationToken);
                    meter.Append(whole.WrittenSpan);
                    var message = new PooledBufferWriter(whole.WrittenCount + 512);
                    try
                    {
                        ChatToMessages.WriteMessage(whole.WrittenMemory, route.UpstreamModel, message);
                    }
                    catch
                    {
                        message.Dispose();
                        throw;
                    }
                    return PassThrough.PooledJson(message, new HubMeter(meter));
                }
            }
            meter.Dispose();
            return new SurfaceAnswer(hub, NoUsageMeter.Instance, default);
        }
        catch
        {
            meter.Dispose();
            await hub.DisposeAsync();
            throw;
        }
    }

    public override void Dispose()
    {
        document.Dispose();
        body.Dispose();
    }

    /// <summary>Parses and validates a Messages body: what a translation reads must be there and of the right type;
    /// anything else (new block types, new fields) passes, for Anthropic routes to judge. Disposes nothing.</summary>
    public static bool TryParse(BufferedBody body, bool requireMaxTokens, [NotNullWhen(true)] out JsonDocument? document,
        out string? model, out bool stream, out bool? store, [NotNullWhen(false)] out ApiError? error)
    {
        model = null; stream = false; store = null;
        if (!RequestJson.Parse(body).TryGet(out document, out error))
        {
            body.Dispose();
            return false;
        }
        error = Validate(document.RootElement, requireMaxTokens, out model, out stream, out store);
        if (error is not null)
        {
            document.Dispose();
            body.Dispose();
            document = null;
            return false;
        }
        return true;
    }

    private static ApiError? Validate(JsonElement root, bool requireMaxTokens, out string? model, out bool stream, out bool? store)
    {
        model = null; stream = false; store = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ApiError.InvalidRequest("The request body must be a JSON object.");
        }
        if (ChatRequest.ValidateModel(root, out model) is { } modelError)
        {
            return modelError;
        }
        if (root.TryGetProperty("max_tokens"u8, out var maxTokens) || requireMaxTokens)
        {
            if (maxTokens.ValueKind != JsonValueKind.Number || !maxTokens.TryGetInt32(out var n) || n < 1)
            {
                return ApiError.InvalidRequest("'max_tokens' is required and must be a positive integer.", "max_tokens");
            }
        }
        if (!root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            return ApiError.InvalidRequest("'messages' is required and must be a non-empty array.", "messages");
        }
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (ValidateMessage(message, i++) is { } messageError)
            {
                return messageError;
            }
        }
        if (root.TryGetProperty("system"u8, out var system) && system.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)
            && Blocks(system, "system") is { } systemError)
        {
            return systemError;
        }
        if (root.TryGetProperty("stream"u8, out var s))
        {
            if (s.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            {
                return ApiError.InvalidRequest("'stream' must be a boolean.", "stream");
            }
            stream = s.ValueKind == JsonValueKind.True;
        }
        if (root.TryGetProperty("store"u8, out var st) && st.ValueKind != JsonValueKind.Null)
        {
            if (st.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return ApiError.InvalidRequest("'store' must be a boolean.", "store");
            }
            store = st.ValueKind == JsonValueKind.True;
        }
        foreach (var field in (ReadOnlySpan<string>)["temperature", "top_p", "top_k"])
        {
            if (root.TryGetProperty(field, out var v) && v.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null))
            {
                return ApiError.InvalidRequest($"'{field}' must be a number.", field);
            }
        }
        if (root.TryGetProperty("stop_sequences"u8, out var stop) && stop.ValueKind != JsonValueKind.Null
            && (stop.ValueKind != JsonValueKind.Array || stop.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String)))
        {
            return ApiError.InvalidRequest("'stop_sequences' must be an array of strings.", "stop_sequences");
        }
        if (root.TryGetProperty("metadata"u8, out var metadata) && metadata.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            return ApiError.InvalidRequest("'metadata' must be an object.", "metadata");
        }
        if (root.TryGetProperty("tools"u8, out var tools) && tools.ValueKind != JsonValueKind.Null)
        {
            if (tools.ValueKind != JsonValueKind.Array)
            {
                return ApiError.InvalidRequest("'tools' must be an array.", "tools");
            }
            var t = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                var path = $"tools[{t++}]";
                if (tool.ValueKind != JsonValueKind.Object || !IsString(tool, "name"u8))
                {
                    return ApiError.InvalidRequest($"'{path}' must be an object with a string 'name'.", path);
                }
                var custom = !tool.TryGetProperty("type"u8, out var type) || type.ValueEquals("custom"u8);
                if (custom && (!tool.TryGetProperty("input_schema"u8, out var schema) || schema.ValueKind != JsonValueKind.Object))
                {
                    return ApiError.InvalidRequest($"'{path}.input_schema' must be an object.", path + ".input_schema");
                }
            }
        }
        if (root.TryGetProperty("tool_choice"u8, out var choice) && choice.ValueKind != JsonValueKind.Null)
        {
            if (choice.ValueKind != JsonValueKind.Object || !IsString(choice, "type"u8))
            {
                return ApiError.InvalidRequest("'tool_choice' must be an object with a string 'type'.", "tool_choice");
            }
            if (choice.GetProperty("type"u8).ValueEquals("tool"u8) && !IsString(choice, "name"u8))
            {
                return ApiError.InvalidRequest("'tool_choice.name' is required when 'tool_choice.type' is 'tool'.", "tool_choice.name");
            }
        }
        return null;
    }

    private static ApiError? ValidateMessage(JsonElement message, int index)
    {
        var path = $"messages[{index}]";
        if (message.ValueKind != JsonValueKind.Object)
        {
            return ApiError.InvalidRequest($"'{path}' must be an object.", path);
        }
        if (!message.TryGetProperty("role"u8, out var role) || role.ValueKind != JsonValueKind.String
            || !(role.ValueEquals("user"u8) || role.ValueEquals("assistant"u8)))
        {
            return ApiError.InvalidRequest($"'{path}.role' must be one of {string.Join(", ", s_roles)}.", path + ".role");
        }
        if (!message.TryGetProperty("content"u8, out var content) || content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
        {
            return ApiError.InvalidRequest($"'{path}.content' must be a string or an array of content blocks.", path + ".content");
        }
        return content.ValueKind == JsonValueKind.Array ? Blocks(content, path + ".content") : null;
    }

    /// <summary>Each block an object with a string <c>type</c>; the blocks a translation reads with their fields.</summary>
    private static ApiError? Blocks(JsonElement blocks, string path)
    {
        if (blocks.ValueKind != JsonValueKind.Array)
        {
            return ApiError.InvalidRequest($"'{path}' must be a string or an array of content blocks.", path);
        }
        var j = 0;
        foreach (var block in blocks.EnumerateArray())
        {
            var at = $"{path}[{j++}]";
            if (block.ValueKind != JsonValueKind.Object || !IsString(block, "type"u8))
            {
                return ApiError.InvalidRequest($"'{at}' must be an object with a string 'type'.", at);
            }
            var type = block.GetProperty("type"u8);
            var missing = type.ValueEquals("text"u8) && !IsString(block, "text"u8) ? "text"
                : type.ValueEquals("tool_use"u8) && (!IsString(block, "id"u8) || !IsString(block, "name"u8)) ? "id' and 'name"
                : type.ValueEquals("tool_result"u8) && !IsString(block, "tool_use_id"u8) ? "tool_use_id"
                : null;
            if (missing is not null)
            {
                return ApiError.InvalidRequest($"'{at}' needs a string '{missing}'.", at);
            }
            if (type.ValueEquals("tool_result"u8) && block.TryGetProperty("content"u8, out var result)
                && result.ValueKind is not (JsonValueKind.String or JsonValueKind.Null) && Blocks(result, at + ".content") is { } resultError)
            {
                return resultError;
            }
        }
        return null;
    }

    private static bool IsString(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String;
}
