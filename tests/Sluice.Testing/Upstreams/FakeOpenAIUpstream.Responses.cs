using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Testing.Upstreams;

/// <summary>
/// The Responses API of the fake: OpenAI's <c>/v1/responses</c> and Azure OpenAI's <c>/openai/v1/responses</c>, a
/// <c>response</c> object or the real event sequence (<c>event:</c> lines, <c>sequence_number</c>), read by the
/// official <c>ResponsesClient</c> in a test. Scripted by the same <see cref="FakeBehavior"/>: the text is
/// <see cref="FakeBehavior.ContentPrefix"/> and <see cref="FakeBehavior.Chunks"/> words (wrapped as
/// <c>{"answer":…}</c> when <c>text.format</c> asks for JSON), then a function call when
/// <see cref="FakeBehavior.ToolName"/> is set. Like the real API asked with <c>store: false</c>, it keeps nothing: a
/// <c>previous_response_id</c> is always "not found".
/// </summary>
public sealed partial class FakeOpenAIUpstream
{
    public const string ResponseId = "resp_fake123";

    private void MapResponses(WebApplication app)
    {
        app.MapPost("/v1/responses", AnswerResponsesAsync);
        app.MapPost("/openai/v1/responses", AnswerResponsesAsync);
    }

    private async Task AnswerResponsesAsync(HttpContext context)
    {
        var (request, behavior) = await BeginAsync(context);
        var response = context.Response;
        var body = JsonNode.Parse(request.Body)!.AsObject();
        if (behavior.Status != 200 || body["previous_response_id"] is not null)
        {
            response.StatusCode = behavior.Status != 200 ? behavior.Status : 400;
            if (behavior.RetryAfter is not null)
            {
                response.Headers.RetryAfter = behavior.RetryAfter;
            }
            response.ContentType = "application/json";
            await response.WriteAsync(behavior.Status != 200
                ? behavior.ErrorBody ?? $$$"""{"error":{"message":"Fake upstream error {{{behavior.Status}}}.","type":"server_error","param":null,"code":"fake_error"}}"""
                : """{"error":{"message":"Previous response with id not found.","type":"invalid_request_error","param":"previous_response_id","code":"previous_response_not_found"}}""");
            return;
        }

        var model = body["model"]?.GetValue<string>() ?? "deployment-model";
        var json = body["text"]?["format"]?["type"]?.GetValue<string>() is "json_schema" or "json_object";
        var deltas = new List<string>();
        if (json)
        {
            deltas.Add("{\"answer\":\"");
        }
        var padding = behavior.ChunkSize > 0 ? new string('x', behavior.ChunkSize) : "";
        for (var i = 0; i < behavior.Chunks; i++)
        {
            deltas.Add((i == 0 ? behavior.ContentPrefix : "") + $"w{i} {padding}");
        }
        if (json)
        {
            deltas.Add("\"}");
        }
        var text = string.Concat(deltas);
        var message = new JsonObject
        {
            ["id"] = "msg_fake1", ["type"] = "message", ["status"] = "completed", ["role"] = "assistant",
            ["content"] = new JsonArray(TextPart(text)),
        };
        JsonObject? call = behavior.ToolName is null ? null : new JsonObject
        {
            ["id"] = "fc_fake1", ["type"] = "function_call", ["status"] = "completed", ["arguments"] = behavior.ToolInput,
            ["call_id"] = ToolCallId, ["name"] = behavior.ToolName,
        };
        var usage = new JsonObject
        {
            ["input_tokens"] = behavior.PromptTokens,
            ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = behavior.CacheReadTokens },
            ["output_tokens"] = behavior.Chunks,
            ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
            ["total_tokens"] = behavior.PromptTokens + behavior.Chunks,
        };

        if (body["stream"]?.GetValue<bool>() != true)
        {
            var output = call is null ? new JsonArray(message) : new JsonArray(message, call);
            response.ContentType = "application/json";
            await response.WriteAsync(Response(body, model, "completed", output, behavior.ReportUsage ? usage : null).ToJsonString());
            return;
        }

        response.ContentType = "text/event-stream";
        var sequence = 0;
        async Task SendAsync(string type, JsonObject data)
        {
            data["type"] = type;
            data["sequence_number"] = sequence++;
            await WriteEventAsync(response, data.ToJsonString(), type);
        }
        await SendAsync("response.created", new JsonObject { ["response"] = Response(body, model, "in_progress", [], null) });
        await SendAsync("response.in_progress", new JsonObject { ["response"] = Response(body, model, "in_progress", [], null) });
        await SendAsync("response.output_item.added", new JsonObject
        {
            ["output_index"] = 0,
            ["item"] = new JsonObject { ["id"] = "msg_fake1", ["type"] = "message", ["status"] = "in_progress", ["role"] = "assistant", ["content"] = new JsonArray() },
        });
        await SendAsync("response.content_part.added", new JsonObject
        {
            ["item_id"] = "msg_fake1", ["output_index"] = 0, ["content_index"] = 0, ["part"] = TextPart(""),
        });
        for (var i = 0; i < deltas.Count; i++)
        {
            if (behavior.BreakAfterChunks == i)
            {
                await Task.Delay(100);
                context.Abort();
                return;
            }
            if (behavior.ErrorEventAfterChunks == i)
            {
                var failed = Response(body, model, "failed", [], null);
                failed["error"] = new JsonObject { ["code"] = "server_error", ["message"] = "The model failed to generate a response." };
                await SendAsync("response.failed", new JsonObject { ["response"] = failed });
                return;
            }
            if (behavior.ChunkDelay > TimeSpan.Zero)
            {
                await Task.Delay(behavior.ChunkDelay, context.RequestAborted);
            }
            await SendAsync("response.output_text.delta", new JsonObject
            {
                ["item_id"] = "msg_fake1", ["output_index"] = 0, ["content_index"] = 0, ["delta"] = deltas[i], ["logprobs"] = new JsonArray(),
            });
        }
        await SendAsync("response.output_text.done", new JsonObject
        {
            ["item_id"] = "msg_fake1", ["output_index"] = 0, ["content_index"] = 0, ["text"] = text, ["logprobs"] = new JsonArray(),
        });
        await SendAsync("response.content_part.done", new JsonObject
        {
            ["item_id"] = "msg_fake1", ["output_index"] = 0, ["content_index"] = 0, ["part"] = TextPart(text),
        });
        await SendAsync("response.output_item.done", new JsonObject { ["output_index"] = 0, ["item"] = message.DeepClone() });
        if (call is not null)
        {
            var added = (JsonObject)call.DeepClone();
            added["status"] = "in_progress";
            added["arguments"] = "";
            await SendAsync("response.output_item.added", new JsonObject { ["output_index"] = 1, ["item"] = added });
            await SendAsync("response.function_call_arguments.delta", new JsonObject
            {
                ["item_id"] = "fc_fake1", ["output_index"] = 1, ["delta"] = behavior.ToolInput,
            });
            await SendAsync("response.function_call_arguments.done", new JsonObject
            {
                ["item_id"] = "fc_fake1", ["output_index"] = 1, ["name"] = behavior.ToolName, ["arguments"] = behavior.ToolInput,
            });
            await SendAsync("response.output_item.done", new JsonObject { ["output_index"] = 1, ["item"] = call.DeepClone() });
        }
        var final = call is null ? new JsonArray(message.DeepClone()) : new JsonArray(message.DeepClone(), call.DeepClone());
        await SendAsync("response.completed", new JsonObject { ["response"] = Response(body, model, "completed", final, behavior.ReportUsage ? usage : null) });
    }

    private static JsonObject TextPart(string text) => new()
    {
        ["type"] = "output_text", ["annotations"] = new JsonArray(), ["logprobs"] = new JsonArray(), ["text"] = text,
    };

    /// <summary>The <c>response</c> object, echoing the request's settings as the API does.</summary>
    private static JsonObject Response(JsonObject request, string model, string status, JsonArray output, JsonObject? usage) => new()
    {
        ["id"] = ResponseId,
        ["object"] = "response",
        ["created_at"] = 1700000000,
        ["status"] = status,
        ["background"] = false,
        ["error"] = null,
        ["incomplete_details"] = null,
        ["instructions"] = request["instructions"]?.DeepClone(),
        ["max_output_tokens"] = request["max_output_tokens"]?.DeepClone(),
        ["model"] = model,
        ["output"] = output,
        ["parallel_tool_calls"] = request["parallel_tool_calls"]?.DeepClone() ?? true,
        ["previous_response_id"] = null,
        ["reasoning"] = new JsonObject { ["effort"] = null, ["summary"] = null },
        ["store"] = request["store"]?.DeepClone() ?? true,
        ["temperature"] = request["temperature"]?.DeepClone() ?? 1.0,
        ["text"] = request["text"]?.DeepClone() ?? new JsonObject { ["format"] = new JsonObject { ["type"] = "text" } },
        ["tool_choice"] = request["tool_choice"]?.DeepClone() ?? "auto",
        ["tools"] = request["tools"]?.DeepClone() ?? new JsonArray(),
        ["top_p"] = request["top_p"]?.DeepClone() ?? 1.0,
        ["truncation"] = "disabled",
        ["usage"] = usage?.DeepClone(),
        ["user"] = null,
        ["metadata"] = request["metadata"]?.DeepClone() ?? new JsonObject(),
    };
}
