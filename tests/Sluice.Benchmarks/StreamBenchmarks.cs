using System.IO.Pipelines;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Benchmarks.Alternatives;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Surfaces;
using Sluice.Usage;

namespace Sluice.Benchmarks;

/// <summary>What a pass-through stream costs per response, over a realistic 50-chunk stream: parsing the events, and
/// the whole relay (parse, read usage, write each event to a response body). Sluice's hand-written parser and
/// byte-copying relay are the baselines; the alternative, measured in the same run, is the in-box <c>SseParser</c> and
/// <c>SseFormatter</c> (kept in <c>Alternatives/</c>). Also usage extraction from a completion body, against parsing it
/// into a document (what reading usage the obvious way would cost).</summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class StreamBenchmarks
{
    private static readonly TimeSpan s_heartbeat = TimeSpan.FromSeconds(30);
    private readonly ReplayStream _stream = new(SampleTraffic.Stream);

    [Benchmark(Baseline = true, Description = "SseEventStream (hand-written), 50-chunk stream")]
    [BenchmarkCategory("parse")]
    public Task<int> Parse() => CountAsync(new SseEventStream(_stream.Rewind()));

    [Benchmark(Description = "in-box SseParser, 50-chunk stream")]
    [BenchmarkCategory("parse")]
    public Task<int> ParseInBox() => CountAsync(new InBoxSseEventStream(_stream.Rewind()));

    [Benchmark(Description = "SseEventStream + ChunkInspector, 50-chunk stream")]
    [BenchmarkCategory("parse")]
    public Task<TokenUsage?> ParseStreamAndUsage() => SampleTraffic.InspectAllAsync(new SseEventStream(_stream.Rewind()));

    [Benchmark(Baseline = true, Description = "relay, hand-written parser, events copied")]
    [BenchmarkCategory("relay")]
    public async Task<bool> Relay()
    {
        await using var events = new SseEventStream(_stream.Rewind());
        using var meter = new ChatAnswerMeter();
        return await ResponseRelay.RelayEventsAsync(NullResponse(), events, meter, clientWantsUsage: true, ResponseRelay.Done,
            s_heartbeat, TimeProvider.System, static () => { }, observe: null, beforeEnd: null, CancellationToken.None);
    }

    [Benchmark(Description = "relay, in-box SseParser + SseFormatter")]
    [BenchmarkCategory("relay")]
    public async Task<bool> RelayInBox()
    {
        await using var events = new InBoxSseEventStream(_stream.Rewind());
        return await InBoxRelay.RelayEventsAsync(NullResponse(), events, new ChunkInspector(), clientWantsUsage: true,
            s_heartbeat, TimeProvider.System, static () => { }, observe: null, beforeEnd: null, CancellationToken.None);
    }

    [Benchmark(Baseline = true, Description = "JsonDocument.Parse, completion body")]
    [BenchmarkCategory("answer")]
    public int ParseCompletion()
    {
        using var document = JsonDocument.Parse(SampleTraffic.Completion);
        return document.RootElement.GetProperty("usage"u8).GetProperty("total_tokens"u8).GetInt32();
    }

    [Benchmark(Description = "JsonUsageScanner, completion body")]
    [BenchmarkCategory("answer")]
    public TokenUsage? ScanCompletion()
    {
        using var scanner = new JsonUsageScanner();
        scanner.Append(SampleTraffic.Completion);
        return scanner.Usage;
    }

    private static async Task<int> CountAsync(IChatEventStream events)
    {
        var count = 0;
        await using (events)
        {
            while (await events.MoveNextAsync(CancellationToken.None))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>A response whose body goes into a pipe nobody reads, the way Kestrel's goes into its output pipe: the
    /// body stream and the body writer are two views of that one pipe, so writing through either costs the same.</summary>
    internal static DefaultHttpContext NullResponse()
    {
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseBodyFeature>(new PipeBody(new Pipe(new PipeOptions(pauseWriterThreshold: 0)).Writer));
        return context;
    }

    private sealed class PipeBody(PipeWriter writer) : IHttpResponseBodyFeature
    {
        public Stream Stream { get; } = writer.AsStream();
        public PipeWriter Writer => writer;
        public void DisableBuffering() { }
        public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task CompleteAsync() => writer.CompleteAsync().AsTask();
    }
}
