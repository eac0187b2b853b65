using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Wire;

namespace Sluice.Testing.Upstreams;

/// <summary>
/// A fake Anthropic Messages server: <c>POST /v1/messages</c>, answering JSON and SSE (with <c>event:</c> lines,
/// <c>ping</c>s and cumulative usage) exactly in Anthropic's wire format — the official Anthropic .NET SDK reads it
/// in a test. Like the real API it refuses a request without a key (<c>x-api-key</c>, or the bearer token the SDK
/// sends) with 401, and one without <c>anthropic-version</c> or
/// <c>max_tokens</c> (400), with Anthropic's <c>{"type":"error","error":{…}}</c> body. Its answer is scripted per
/// request with <see cref="FakeBehavior"/>: text chunks "w0 ", "w1 ", …, then optionally one tool call.
/// </summary>
public sealed class FakeAnthropicUpstream : ScriptedUpstream
{
    public const string MessageId = "msg_01FakeAnthropic";
    public const string ToolUseId = "toolu_01FakeTool";

    public static async Task<FakeAnthropicUpstream> StartAsync()
    {
        var fake = new FakeAnthropicUpstream();
        await fake.StartCoreAsync();
        return fake;
    }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/messages", HandleAsync);
        app.MapPost("/v1/messages/count_tokens", HandleCountTokensAsync);
    }

    /// <summary><c>messages/count_tokens</c>: <c>{"input_tokens":N}</c> with N = <see cref="FakeBehavior.PromptTokens"/>;
    /// like the real API it refuses fields it does not know (<c>max_tokens</c>, <c>store</c>, ...).</summary>
    private async Task HandleCountTokensAsync(HttpContext context)
    {
        var (request, behavior) = await BeginAsync(context);
        var response = context.Response;
        using var doc = JsonDocument.Parse(request.Body);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name is not ("model" or "messages" or "system" or "tools" or "tool_choice" or "thinking" or "mcp_servers"))
            {
                await WriteErrorAsync(response, 400, Error("invalid_request_error", $"{property.Name}: Extra inputs are not permitted"));
                return;
            }
        }
        if (behavior.Status != 200)
        {
            await WriteErrorAsync(response, behavior.Status, behavior.ErrorBody ?? Error("api_error", $"Fake upstream error {behavior.Status}."));
            return;
        }
        response.ContentType = "application/json";
        await response.WriteAsync($$"""{"input_tokens":{{behavior.PromptTokens}}}""");
    }

    public static string Error(string type, string message) =>
        JsonSerializer.Serialize(new { type = "error", error = new { type, message }, request_id = "req_fake" });

    private async Task HandleAsync(HttpContext context)
    {
        var (request, behavior) = await BeginAsync(context);
        var response = context.Response;
        response.Headers["request-id"] = "req_fake";
        // The documented header is x-api-key; the official .NET SDK (13.x) sends the key as a bearer token instead.
        if (!request.Headers.ContainsKey("x-api-key") && !request.Headers.GetValueOrDefault("authorization", "").StartsWith("Bearer ", StringComparison.Ordinal))
        {
            await WriteErrorAsync(response, 401, Error("authentication_error", "x-api-key header is required"));
            return;
        }
        if (!request.Headers.ContainsKey("anthropic-version"))
        {
            await WriteErrorAsync(response, 400, Error("invalid_request_error", "anthropic-version: header is required"));
            return;
        }
        using var doc = JsonDocument.Parse(request.Body);
        var root = doc.RootElement;
        if (!root.TryGetProperty("max_tokens", out _))
        {
            await WriteErrorAsync(response, 400, Error("invalid_request_error", "max_tokens: Field required"));
            return;
        }
        if (root.TryGetProperty("store", out _))
        {
            // The real API refuses fields it does not know; store is OpenAI's, not Anthropic's.
            await WriteErrorAsync(response, 400, Error("invalid_request_error", "store: Extra inputs are not permitted"));
            return;
        }
        if (behavior.Status != 200)
        {
            if (behavior.RetryAfter is not null)
            {
                response.Headers.RetryAfter = behavior.RetryAfter;
            }
            var type = behavior.Status switch { 429 => "rate_limit_error", 529 => "overloaded_error", >= 500 => "api_error", 404 => "not_found_error", _ => "invalid_request_error" };
            await WriteErrorAsync(response, behavior.Status, behavior.ErrorBody ?? Error(type, $"Fake upstream error {behavior.Status}."));
            return;
        }

        var model = root.GetProperty("model").GetString();
        var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var stopReason = behavior.StopReason ?? (behavior.ToolName is null ? "end_turn" : "tool_use");
        if (!stream)
        {
            response.ContentType = "application/json";
            await response.WriteAsync(JsonSerializer.Serialize(new
            {
                id = MessageId,
                type = "message",
                role = "assistant",
                model,
                content = Blocks(behavior),
                stop_reason = stopReason,
                stop_sequence = (string?)null,
                usage = Usage(behavior, behavior.Chunks),
            }));
            return;
        }

        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        await WriteEventAsync(response, JsonSerializer.Serialize(new
        {
            type = "message_start",
            message = new
            {
                id = MessageId, type = "message", role = "assistant", content = Array.Empty<object>(), model,
                stop_reason = (string?)null, stop_sequence = (string?)null, usage = Usage(behavior, 1),
            },
        }), "message_start");
        var index = 0;
        if (behavior.Chunks > 0)
        {
            await WriteEventAsync(response, $$$"""{"type":"content_block_start","index":{{{index}}},"content_block":{"type":"text","text":""}}""", "content_block_start");
            await WriteEventAsync(response, """{"type": "ping"}""", "ping");
            var padding = behavior.ChunkSize > 0 ? new string('x', behavior.ChunkSize) : "";
            for (var i = 0; i < behavior.Chunks; i++)
            {
                if (behavior.BreakAfterChunks == i)
                {
                    // A reset discards bytes the peer has not read yet: give the gateway a moment to take what was sent.
                    await Task.Delay(100);
                    context.Abort();
                    return;
                }
                if (behavior.ErrorEventAfterChunks == i)
                {
                    await WriteEventAsync(response, Error("overloaded_error", "Overloaded"), "error");
                    return;
                }
                if (behavior.ChunkDelay > TimeSpan.Zero)
                {
                    await Task.Delay(behavior.ChunkDelay, context.RequestAborted);
                }
                await WriteEventAsync(response, JsonSerializer.Serialize(new
                {
                    type = "content_block_delta", index, delta = new { type = "text_delta", text = $"w{i} {padding}" },
                }), "content_block_delta");
            }
            await WriteEventAsync(response, $$"""{"type":"content_block_stop","index":{{index}}}""", "content_block_stop");
            index++;
        }
        if (behavior.ToolName is not null)
        {
            await WriteEventAsync(response, JsonSerializer.Serialize(new
            {
                type = "content_block_start", index, content_block = new { type = "tool_use", id = ToolUseId, name = behavior.ToolName, input = new { } },
            }), "content_block_start");
            // Anthropic sends the input as JSON text in pieces, starting with an empty one.
            var input = behavior.ToolInput;
            var half = input.Length / 2;
            foreach (var piece in (string[])["", input[..half], input[half..]])
            {
                await WriteEventAsync(response, JsonSerializer.Serialize(new
                {
                    type = "content_block_delta", index, delta = new { type = "input_json_delta", partial_json = piece },
                }), "content_block_delta");
            }
            await WriteEventAsync(response, $$"""{"type":"content_block_stop","index":{{index}}}""", "content_block_stop");
        }
        await WriteEventAsync(response, JsonSerializer.Serialize(new
        {
            type = "message_delta",
            delta = new { stop_reason = stopReason, stop_sequence = (string?)null },
            usage = new { output_tokens = behavior.Chunks },
        }), "message_delta");
        await WriteEventAsync(response, """{"type":"message_stop"}""", "message_stop");
    }

    private static List<object> Blocks(FakeBehavior behavior)
    {
        var blocks = new List<object>();
        if (behavior.Chunks > 0)
        {
            blocks.Add(new { type = "text", text = FakeOpenAIUpstream.Content(behavior.Chunks) });
        }
        if (behavior.ToolName is not null)
        {
            blocks.Add(new { type = "tool_use", id = ToolUseId, name = behavior.ToolName, input = JsonDocument.Parse(behavior.ToolInput).RootElement });
        }
        return blocks;
    }

    private static object Usage(FakeBehavior behavior, int outputTokens) => new
    {
        input_tokens = behavior.PromptTokens,
        cache_creation_input_tokens = behavior.CacheCreationTokens,
        cache_read_input_tokens = behavior.CacheReadTokens,
        output_tokens = outputTokens,
    };

    private static async Task WriteErrorAsync(HttpResponse response, int status, string body)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await response.WriteAsync(body);
    }
}
