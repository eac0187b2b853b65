using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

// A fake OpenAI chat-completions upstream for load runs: POST /v1/chat/completions.
//   non-streaming: one precomputed chat.completion (usage included).
//   "stream": true: a role chunk, max_tokens content chunks (default 24), a finish chunk, the usage chunk when
//   stream_options.include_usage is set, then [DONE]; each event flushed on its own, as a model would send it.
//   "x_chunk_bytes": N pads each content chunk to about N bytes (large-response memory runs).
// Latency, like a model's (zero by default, the floor the gateway is compared with):
//   --TtfbMs N: wait N ms before the first byte of any answer;  --ChunkIntervalMs N: wait N ms between stream events.
//   "x_ttfb_ms", "x_chunk_interval_ms" in a request set both for that request alone (open-stream runs).
// Waits are kept on a schedule from the request's arrival (no drift) and served by one shared 1 ms clock (Ticker), not
// a timer per stream: thousands of open streams cost this process little.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxConcurrentConnections = null);
var ttfbDefault = builder.Configuration.GetValue("TtfbMs", 0);
var intervalDefault = builder.Configuration.GetValue("ChunkIntervalMs", 0);
var app = builder.Build();
var ticker = new Ticker();
var streams = new ConcurrentDictionary<(int Chunks, int Bytes, bool Usage), Answer>();

app.MapPost("/v1/chat/completions", async (HttpContext context) =>
{
    var arrived = Stopwatch.GetTimestamp();
    var request = await ReadRequestAsync(context.Request);
    var response = context.Response;
    var ttfbMs = request.TtfbMs ?? ttfbDefault;
    var intervalMs = request.IntervalMs ?? intervalDefault;
    if (ttfbMs > 0)
    {
        await ticker.At(arrived + ttfbMs * Stopwatch.Frequency / 1000);
    }
    var firstAt = Stopwatch.GetTimestamp();
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
    for (var i = 1; i <= request.Chunks; i++)
    {
        if (intervalMs > 0)
        {
            await ticker.At(firstAt + i * intervalMs * Stopwatch.Frequency / 1000);
        }
        await response.Body.WriteAsync(answer.Content, context.RequestAborted);
        await response.Body.FlushAsync(context.RequestAborted);
    }
    if (intervalMs > 0)
    {
        await ticker.At(firstAt + (request.Chunks + 1) * intervalMs * Stopwatch.Frequency / 1000);
    }
    await response.Body.WriteAsync(answer.Last, context.RequestAborted);
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
        root.TryGetProperty("stream_options", out var o) && o.TryGetProperty("include_usage", out var u) && u.ValueKind == JsonValueKind.True,
        root.TryGetProperty("x_ttfb_ms", out var t) && t.TryGetInt32(out var ttfbMs) ? ttfbMs : null,
        root.TryGetProperty("x_chunk_interval_ms", out var g) && g.TryGetInt32(out var intervalMs) ? intervalMs : null);
}

internal sealed record FakeRequest(bool Stream, int Chunks, int ChunkBytes, bool IncludeUsage, int? TtfbMs, int? IntervalMs);

/// <summary>
/// One clock for every wait in the process: a thread wakes each millisecond and completes the waits that are due,
/// each millisecond's waiters sharing one task. A stream's next chunk costs a dictionary lookup, not a timer.
/// </summary>
internal sealed class Ticker
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _slots = new();
    private long _fired;

    public Ticker()
    {
        _fired = Slot(Stopwatch.GetTimestamp());
        new Thread(Run) { IsBackground = true, Name = "ticker", Priority = ThreadPriority.AboveNormal }.Start();
    }

    /// <summary>Completes at <paramref name="timestamp"/> (Stopwatch ticks), to the millisecond.</summary>
    public Task At(long timestamp)
    {
        var slot = Slot(timestamp);
        if (slot <= Volatile.Read(ref _fired))
        {
            return Task.CompletedTask;
        }
        var task = _slots.GetOrAdd(slot, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        // The clock may have passed this slot between the check and the add: then complete it here.
        if (slot <= Volatile.Read(ref _fired) && _slots.TryRemove(slot, out var late))
        {
            late.TrySetResult();
        }
        return task;
    }

    private static readonly long s_ticksPerSlot = Stopwatch.Frequency / 1000;

    private static long Slot(long timestamp) => (timestamp + s_ticksPerSlot - 1) / s_ticksPerSlot;

    private void Run()
    {
        while (true)
        {
            Thread.Sleep(1);
            var now = Slot(Stopwatch.GetTimestamp()) - 1;
            for (var slot = _fired + 1; slot <= now; slot++)
            {
                Volatile.Write(ref _fired, slot);
                if (_slots.TryRemove(slot, out var due))
                {
                    due.TrySetResult();
                }
            }
        }
    }
}

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
