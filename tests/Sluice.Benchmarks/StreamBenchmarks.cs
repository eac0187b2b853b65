using BenchmarkDotNet.Attributes;
using Sluice.Providers;
using Sluice.Usage;

namespace Sluice.Benchmarks;

/// <summary>What a pass-through stream costs per response: SSE parsing and usage extraction over a realistic
/// 50-chunk stream, and usage extraction from a completion body.</summary>
[MemoryDiagnoser]
public class StreamBenchmarks
{
    private readonly ReplayStream _stream = new(SampleTraffic.Stream);

    [Benchmark(Description = "SseEventStream + ChunkInspector, 50-chunk stream")]
    public async Task<TokenUsage?> ParseStreamAndUsage()
    {
        var inspector = new ChunkInspector();
        await using var events = new SseEventStream(_stream.Rewind());
        while (await events.MoveNextAsync(CancellationToken.None))
        {
            inspector.Inspect(events.Current.Span);
        }
        return inspector.Usage;
    }

    [Benchmark(Description = "SseEventStream alone, 50-chunk stream")]
    public async Task<int> ParseStream()
    {
        var count = 0;
        await using var events = new SseEventStream(_stream.Rewind());
        while (await events.MoveNextAsync(CancellationToken.None))
        {
            count++;
        }
        return count;
    }

    [Benchmark(Description = "JsonUsageScanner, completion body")]
    public TokenUsage? ScanCompletion()
    {
        using var scanner = new JsonUsageScanner();
        scanner.Append(SampleTraffic.Completion);
        return scanner.Usage;
    }
}
