using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

// A fake OpenAI chat-completions upstream for load runs: POST /v1/chat/completions.
//   non-streaming: one precomputed chat.completion (usage included).
//   "stream": true: a role chunk, max_tokens content chunks (default 24), a finish chunk, the usage chunk when
//   stream_options.include_usage is set, then [DONE]; each event flushed on its own, as a model would send it.
//   "x_chunk_bytes": N pads each content chunk to about N bytes (large-response memory runs).
// Latency, like a model's (zero by default, the floor the gateway is compared with):
//   --TtfbMs N: wait N ms before the first byte of any answer;  --ChunkIntervalMs N: wait N ms between stream events.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var ttfb = TimeSpan.FromMilliseconds(builder.Configuration.GetValue("TtfbMs", 0));
var interval = TimeSpan.FromMilliseconds(builder.Configuration.GetValue("ChunkIntervalMs", 0));
var app = builder.Build();
var streams = new ConcurrentDictionary<(int Chunks, int Bytes, bool Usage), Answer>();

app.MapPost("/v1/chat/completions", async (HttpContext context) =>
{
    var request = await ReadRequestAsync(context.Request);
    var response = context.Response;
    if (ttfb > TimeSpan.Zero)
    {
        await Task.Delay(ttfb);
    }
    if (!request.Stream)
    {
        response.ContentType = "application/json";
        response.ContentLength = Answer.Completion.Length;
        await response.Body.WriteAsync(Answer.Completion);
        return;
    }
    var answer = streams.GetOrAdd((request.Chunks, request.ChunkBytes, request.IncludeUsage), static k => Answer.Stream(k.Chunks, k.Bytes, k.Usage));
    response.ContentType = "text/event-stream";
    await response.StartAsync();
    await response.Body.WriteAsync(answer.First);
    await response.Body.FlushAsync();
    for (var i = 0; i < request.Chunks; i++)
    {
        if (interval > TimeSpan.Zero)
        {
            await Task.Delay(interval);
        }
        await response.Body.WriteAsync(answer.Content);
        await response.Body.FlushAsync();
    }
    await response.Body.WriteAsync(answer.Last);
});
app.Run();

static async Task<FakeRequest> ReadRequestAsync(HttpRequest request)
{
    var buffer = new byte[(int)(request.ContentLength ?? 64 * 1024)];
    var length = 0;
    int read;
    while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length))) > 0)
    {
        length += read;
    }
    var root = JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement;
    return new FakeRequest(
        root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True,
        root.TryGetProperty("max_tokens", out var m) && m.TryGetInt32(out var chunks) ? chunks : 24,
        root.TryGetProperty("x_chunk_bytes", out var b) && b.TryGetInt32(out var bytes) ? bytes : 0,
        root.TryGetProperty("stream_options", out var o) && o.TryGetProperty("include_usage", out var u) && u.ValueKind == JsonValueKind.True);
}

internal sealed record FakeRequest(bool Stream, int Chunks, int ChunkBytes, bool IncludeUsage);

internal sealed record Answer(byte[] First, byte[] Content, byte[] Last)
{
    private const string Head = """{"id":"chatcmpl-load","object":"chat.completion.chunk","created":1700000000,"model":"load-model","system_fingerprint":"fp_load",""";

    public static readonly byte[] Completion = Encoding.UTF8.GetBytes(
        """{"id":"chatcmpl-load","object":"chat.completion","created":1700000000,"model":"load-model","choices":[{"index":0,"message":{"role":"assistant","content":"The gateway streams every token and keeps only what you allow, in its region.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":17,"completion_tokens":24,"total_tokens":41},"system_fingerprint":"fp_load"}""");

    public static Answer Stream(int chunks, int chunkBytes, bool usage)
    {
        var usageNull = usage ? ""","usage":null""" : "";
        var word = chunkBytes > 0 ? " " + new string('x', chunkBytes) : " token";
        var last = Event($$"""{{Head}}"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]{{usageNull}}}""");
        if (usage)
        {
            last += Event($$$"""{{{Head}}}"choices":[],"usage":{"prompt_tokens":17,"completion_tokens":{{{chunks}}},"total_tokens":{{{17 + chunks}}}}}""");
        }
        last += "data: [DONE]\n\n";
        return new Answer(
            Encoding.UTF8.GetBytes(Event($$"""{{Head}}"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]{{usageNull}}}""")),
            Encoding.UTF8.GetBytes(Event($$"""{{Head}}"choices":[{"index":0,"delta":{"content":"{{word}}"},"logprobs":null,"finish_reason":null}]{{usageNull}}}""")),
            Encoding.UTF8.GetBytes(last));
    }

    private static string Event(string json) => "data: " + json + "\n\n";
}
