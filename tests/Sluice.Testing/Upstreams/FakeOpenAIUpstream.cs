using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Wire;

namespace Sluice.Testing.Upstreams;

/// <summary>How the fake answers one request.</summary>
public sealed record FakeBehavior
{
    public int Status { get; init; } = 200;

    /// <summary>Body of an error answer; defaults to an OpenAI-style error.</summary>
    public string? ErrorBody { get; init; }

    public string? RetryAfter { get; init; }

    /// <summary>The <c>retry-after-ms</c> header Azure OpenAI (and OpenAI's SDKs) use alongside <c>Retry-After</c>.</summary>
    public string? RetryAfterMs { get; init; }

    /// <summary>Content chunks of the answer ("w0 ", "w1 ", …); the completion counts one token per chunk.</summary>
    public int Chunks { get; init; } = 5;

    /// <summary>Characters per content chunk (padding after the word), for large-response tests.</summary>
    public int ChunkSize { get; init; }

    public TimeSpan ChunkDelay { get; init; }

    /// <summary>Delay before the response headers (for timeouts).</summary>
    public TimeSpan HeadersDelay { get; init; }

    /// <summary>Holds the response headers until this completes (for requests kept in flight on purpose).</summary>
    public Task? HoldHeadersUntil { get; init; }

    /// <summary>Abort the connection after this many content chunks (a broken stream).</summary>
    public int? BreakAfterChunks { get; init; }

    /// <summary>Report usage (non-streaming always, streaming when asked). False models a provider without usage.</summary>
    public bool ReportUsage { get; init; } = true;

    public int PromptTokens { get; init; } = 17;

    /// <summary>A tool call after the text: its name and its input as a JSON object.</summary>
    public string? ToolName { get; init; }

    public string ToolInput { get; init; } = "{}";

    /// <summary>Anthropic's <c>stop_reason</c>; defaults to <c>tool_use</c> with a tool call, else <c>end_turn</c>.</summary>
    public string? StopReason { get; init; }

    /// <summary>Anthropic prompt-cache counts, reported apart from <c>input_tokens</c>.</summary>
    public int CacheReadTokens { get; init; }

    public int CacheCreationTokens { get; init; }

    /// <summary>Fail after this many content chunks of a stream, as each API says so in the stream and then ends it:
    /// Anthropic's <c>error</c> event, OpenAI's error chunk (<c>data: {"error":…}</c>, no <c>[DONE]</c>), Responses'
    /// <c>response.failed</c>.</summary>
    public int? ErrorEventAfterChunks { get; init; }

    /// <summary>Text put before the first content chunk (JSON-safe characters only), e.g. a canary the completion
    /// "repeats" so tests can look for the response's content in storage and logs.</summary>
    public string ContentPrefix { get; init; } = "";

    /// <summary>Frame each stream event the long way, as the SSE format allows and a client must read: a comment line,
    /// <c>event:</c> and <c>id:</c> fields, the JSON split over two <c>data:</c> lines after its opening brace (the
    /// client joins them with a newline, which JSON reads as whitespace), and every line ended by CRLF.</summary>
    public bool SplitEventLines { get; init; }
}

/// <summary>
/// A fake OpenAI server: chat completions at <c>/v1/chat/completions</c> and Azure OpenAI's
/// <c>/openai/deployments/{d}/chat/completions</c> (with a tool call after the text when <see cref="FakeBehavior.ToolName"/>
/// is set), and embeddings at <c>/v1/embeddings</c> and <c>/openai/deployments/{d}/embeddings</c>; JSON and SSE exactly
/// in OpenAI's format (the official OpenAI .NET client reads each in a test). Its answer is scripted per request.
/// </summary>
public sealed partial class FakeOpenAIUpstream : ScriptedUpstream
{
    public static async Task<FakeOpenAIUpstream> StartAsync()
    {
        var fake = new FakeOpenAIUpstream();
        await fake.StartCoreAsync();
        return fake;
    }

    public static string Content(int chunks) => string.Concat(Enumerable.Range(0, chunks).Select(i => $"w{i} "));

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/chat/completions", HandleAsync);
        app.MapPost("/openai/deployments/{deployment}/chat/completions", HandleAsync);
        MapResponses(app);
        app.MapPost("/v1/embeddings", HandleEmbeddingsAsync);
        app.MapPost("/openai/deployments/{deployment}/embeddings", HandleEmbeddingsAsync);
    }

    public const string ToolCallId = "call_fake123";

    /// <summary>The vector the fake embeds input <paramref name="index"/> as: its index, then 0.5, -0.25, ... to the
    /// requested dimensions (default 3).</summary>
    public static float[] Embedding(int index, int dimensions) =>
        [.. Enumerable.Range(0, dimensions).Select(d => d == 0 ? index : (float)Math.Pow(-0.5, d))];

    /// <summary>Embeddings in OpenAI's format, as floats or as base64 of little-endian float32s; one prompt token per
    /// input (or per token id).</summary>
    private async Task HandleEmbeddingsAsync(HttpContext context)
    {
        var (request, behavior) = await BeginAsync(context);
        var response = context.Response;
        if (behavior.Status != 200)
        {
            await WriteErrorAsync(response, behavior);
            return;
        }
        using var doc = JsonDocument.Parse(request.Body);
        var root = doc.RootElement;
        var model = root.TryGetProperty("model", out var m) ? m.GetString() : "deployment-model";
        var dimensions = root.TryGetProperty("dimensions", out var d) ? d.GetInt32() : 3;
        var base64 = root.TryGetProperty("encoding_format", out var f) && f.GetString() == "base64";
        var input = root.GetProperty("input");
        var items = input.ValueKind == JsonValueKind.Array && input[0].ValueKind != JsonValueKind.Number ? input.EnumerateArray().ToList() : [input];
        var tokens = items.Sum(i => i.ValueKind == JsonValueKind.Array ? i.GetArrayLength() : 1);
        var data = items.Select((_, i) =>
        {
            var vector = Embedding(i, dimensions);
            var embedding = base64
                ? "\"" + Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan())) + "\""
                : "[" + string.Join(",", vector.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";
            return $$"""{"object":"embedding","index":{{i}},"embedding":{{embedding}}}""";
        });
        response.ContentType = "application/json";
        var usage = behavior.ReportUsage ? $$""","usage":{"prompt_tokens":{{tokens}},"total_tokens":{{tokens}}}""" : "";
        await response.WriteAsync($$"""{"object":"list","data":[{{string.Join(",", data)}}],"model":"{{model}}"{{usage}}}""");
    }

    private async Task HandleAsync(HttpContext context)
    {
        var (request, behavior) = await BeginAsync(context);
        var response = context.Response;
        if (behavior.Status != 200)
        {
            await WriteErrorAsync(response, behavior);
            return;
        }

        using var doc = JsonDocument.Parse(request.Body);
        var root = doc.RootElement;
        var model = root.TryGetProperty("model", out var m) ? m.GetString() : "deployment-model";
        var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var includeUsage = root.TryGetProperty("stream_options", out var so) && so.TryGetProperty("include_usage", out var iu) && iu.GetBoolean();
        const string id = "chatcmpl-fake123";

        // JSON output (response_format) wraps the words as {"answer":"…"}; a scripted tool call follows the text.
        var json = root.TryGetProperty("response_format", out var rf) && rf.TryGetProperty("type", out var rft) && rft.GetString() is "json_schema" or "json_object";
        var (open, close) = json ? ("{\\\"answer\\\":\\\"", "\\\"}") : ("", "");
        var finish = behavior.ToolName is null ? "stop" : "tool_calls";
        var arguments = JsonSerializer.Serialize(behavior.ToolInput);
        if (!stream)
        {
            var usage = behavior.ReportUsage
                ? $$$""","usage":{"prompt_tokens":{{{behavior.PromptTokens}}},"completion_tokens":{{{behavior.Chunks}}},"total_tokens":{{{behavior.PromptTokens + behavior.Chunks}}},"prompt_tokens_details":{"cached_tokens":{{{behavior.CacheReadTokens}}}}}"""
                : "";
            var toolCalls = behavior.ToolName is null ? ""
                : $$$""","tool_calls":[{"id":"{{{ToolCallId}}}","type":"function","function":{"name":"{{{behavior.ToolName}}}","arguments":{{{arguments}}}}}]""";
            response.ContentType = "application/json";
            await response.WriteAsync($$"""{"id":"{{id}}","object":"chat.completion","created":1700000000,"model":"{{model}}","choices":[{"index":0,"message":{"role":"assistant","content":"{{open + behavior.ContentPrefix + Content(behavior.Chunks) + close}}","refusal":null{{toolCalls}}},"logprobs":null,"finish_reason":"{{finish}}"}]{{usage}},"system_fingerprint":"fp_fake"}""");
            return;
        }

        response.ContentType = "text/event-stream";
        var events = 0;
        Task WriteEventAsync(HttpResponse response, string data) => behavior.SplitEventLines && data != "[DONE]"
            ? WriteSplitEventAsync(response, data, ++events)
            : FakeUpstreamServer.WriteEventAsync(response, data);
        var usageField = includeUsage ? ",\"usage\":null" : "";
        await WriteEventAsync(response, $$"""{"id":"{{id}}","object":"chat.completion.chunk","created":1700000000,"model":"{{model}}","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]{{usageField}}}""");
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
                await WriteEventAsync(response, """{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}""");
                return;
            }
            if (behavior.ChunkDelay > TimeSpan.Zero)
            {
                await Task.Delay(behavior.ChunkDelay, context.RequestAborted);
            }
            var prefix = (i == 0 ? open + behavior.ContentPrefix : "");
            var suffix = i == behavior.Chunks - 1 ? close : "";
            await WriteEventAsync(response, $$"""{"id":"{{id}}","object":"chat.completion.chunk","created":1700000000,"model":"{{model}}","choices":[{"index":0,"delta":{"content":"{{prefix}}w{{i}} {{padding}}{{suffix}}"},"logprobs":null,"finish_reason":null}]{{usageField}}}""");
        }
        if (behavior.ToolName is not null)
        {
            // As OpenAI streams a call: id and name first, then the arguments in pieces.
            await WriteEventAsync(response, $$$"""{"id":"{{{id}}}","object":"chat.completion.chunk","created":1700000000,"model":"{{{model}}}","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"{{{ToolCallId}}}","type":"function","function":{"name":"{{{behavior.ToolName}}}","arguments":""}}]},"logprobs":null,"finish_reason":null}]{{{usageField}}}}""");
            var half = behavior.ToolInput.Length / 2;
            foreach (var piece in (string[])[behavior.ToolInput[..half], behavior.ToolInput[half..]])
            {
                await WriteEventAsync(response, $$$"""{"id":"{{{id}}}","object":"chat.completion.chunk","created":1700000000,"model":"{{{model}}}","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":{{{JsonSerializer.Serialize(piece)}}}}}]},"logprobs":null,"finish_reason":null}]{{{usageField}}}}""");
            }
        }
        await WriteEventAsync(response, $$"""{"id":"{{id}}","object":"chat.completion.chunk","created":1700000000,"model":"{{model}}","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"{{finish}}"}]{{usageField}}}""");
        if (includeUsage && behavior.ReportUsage)
        {
            await WriteEventAsync(response, $$$"""{"id":"{{{id}}}","object":"chat.completion.chunk","created":1700000000,"model":"{{{model}}}","choices":[],"usage":{"prompt_tokens":{{{behavior.PromptTokens}}},"completion_tokens":{{{behavior.Chunks}}},"total_tokens":{{{behavior.PromptTokens + behavior.Chunks}}}}}""");
        }
        await WriteEventAsync(response, "[DONE]");
    }

    /// <summary>An OpenAI error answer, with the upstream's wish to be left alone when the behaviour has one.</summary>
    private static async Task WriteErrorAsync(HttpResponse response, FakeBehavior behavior)
    {
        response.StatusCode = behavior.Status;
        if (behavior.RetryAfter is not null)
        {
            response.Headers.RetryAfter = behavior.RetryAfter;
        }
        if (behavior.RetryAfterMs is not null)
        {
            response.Headers["retry-after-ms"] = behavior.RetryAfterMs;
        }
        response.ContentType = "application/json";
        await response.WriteAsync(behavior.ErrorBody
            ?? $$$"""{"error":{"message":"Fake upstream error {{{behavior.Status}}}.","type":"server_error","param":null,"code":"fake_error"}}""");
    }

    private static async Task WriteSplitEventAsync(HttpResponse response, string json, int number)
    {
        await response.WriteAsync($": chunk {number} follows\r\nevent: chunk\r\nid: {number}\r\ndata: {json[..1]}\r\ndata: {json[1..]}\r\n\r\n");
        await response.Body.FlushAsync();
    }
}
