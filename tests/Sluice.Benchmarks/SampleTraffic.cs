using System.Text;
using Sluice.Providers;
using Sluice.Usage;

namespace Sluice.Benchmarks;

/// <summary>Realistic wire bytes: an OpenAI chat request, a completion, and a 50-chunk stream with its usage chunk.</summary>
internal static class SampleTraffic
{
    public const int StreamChunks = 50;

    public static readonly byte[] Request = Encoding.UTF8.GetBytes("""
        {"model":"gpt-4o-mini","stream":true,"temperature":0.2,"max_tokens":400,"user":"u-123",
         "messages":[{"role":"system","content":"You are a concise assistant that answers in plain English."},
                     {"role":"user","content":"Explain in three sentences why a gateway should stream bytes rather than buffer bodies."}],
         "tools":[{"type":"function","function":{"name":"lookup","description":"Look up a term","parameters":{"type":"object","properties":{"term":{"type":"string"}}}}}],
         "stream_options":{"include_usage":false}}
        """);

    public static readonly byte[] Completion = Encoding.UTF8.GetBytes("""
        {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini-2024-07-18",
         "choices":[{"index":0,"message":{"role":"assistant","content":"A gateway that streams bytes keeps memory flat however long the answer runs, because it never holds a whole body. It also gets the first token to the user sooner, since nothing waits for the end of the response. And a client that hangs up stops the upstream call at once instead of after a buffer fills.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],
         "usage":{"prompt_tokens":41,"completion_tokens":67,"total_tokens":108,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},
         "service_tier":"default","system_fingerprint":"fp_06737a9306"}
        """);

    public static readonly byte[] Stream = BuildStream();

    /// <summary>What the relay does per event besides writing it: hand it to the usage inspector. Disposes the stream.</summary>
    public static async Task<TokenUsage?> InspectAllAsync(IChatEventStream events)
    {
        var inspector = new ChunkInspector();
        await using (events)
        {
            while (await events.MoveNextAsync(CancellationToken.None))
            {
                inspector.Inspect(events.Current.Span);
            }
        }
        return inspector.Usage;
    }

    private static byte[] BuildStream()
    {
        const string head = """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306",""";
        var words = "A gateway that streams bytes keeps memory flat however long the answer runs because it never holds a whole body".Split(' ');
        var sb = new StringBuilder();
        sb.Append("data: ").Append(head).Append("""
            "choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}
            """).Append("\n\n");
        for (var i = 0; i < StreamChunks; i++)
        {
            sb.Append("data: ").Append(head).Append("\"choices\":[{\"index\":0,\"delta\":{\"content\":\" ").Append(words[i % words.Length])
              .Append("\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n");
        }
        sb.Append("data: ").Append(head).Append("""
            "choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}
            """).Append("\n\n");
        sb.Append("data: ").Append(head).Append("""
            "choices":[],"usage":{"prompt_tokens":41,"completion_tokens":50,"total_tokens":91,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}
            """).Append("\n\n");
        sb.Append("data: [DONE]\n\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}

/// <summary>A read-only stream over fixed bytes that can be rewound and still reads after the reader disposes it,
/// so a benchmark measures the reader and not the stream's allocation.</summary>
internal sealed class ReplayStream(byte[] bytes) : Stream
{
    private int _position;

    public ReplayStream Rewind()
    {
        _position = 0;
        return this;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, bytes.Length - _position);
        bytes.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => bytes.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
