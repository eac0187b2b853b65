using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Sluice.Providers;
using Sluice.Usage;

namespace Sluice.Benchmarks;

/// <summary>What a pass-through stream costs per response: SSE parsing and usage extraction over a realistic
/// 50-chunk stream, and usage extraction from a completion body. Baselines: splitting the stream into events, and
/// parsing the completion into a document (what reading usage the obvious way would cost).</summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class StreamBenchmarks
{
    private readonly ReplayStream _stream = new(SampleTraffic.Stream);

    [Benchmark(Description = "SseEventStream + ChunkInspector, 50-chunk stream")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> ParseStreamAndUsage() => SampleTraffic.InspectAllAsync(new SseEventStream(_stream.Rewind()));

    [Benchmark(Baseline = true, Description = "SseEventStream alone, 50-chunk stream")]
    [BenchmarkCategory("stream")]
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
}
