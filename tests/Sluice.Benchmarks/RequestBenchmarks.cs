using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Sluice.Providers;
using Sluice.Wire;

namespace Sluice.Benchmarks;

/// <summary>Per-request work before the upstream call and after the answer: parse and validate, rewrite the body
/// for an OpenAI-format upstream, and price the usage. Baseline: parsing the same body into a document, which any
/// proxy that reads the model name pays.</summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RequestBenchmarks
{
    private static readonly Pricing s_pricing = new(0.15m, 0.6m);
    private ChatRequest _request = null!;

    [GlobalSetup]
    public void Setup() => _request = Parse();

    [GlobalCleanup]
    public void Cleanup() => _request.Dispose();

    [Benchmark(Baseline = true, Description = "JsonDocument.Parse (the floor)")]
    [BenchmarkCategory("request")]
    public int ParseOnly()
    {
        using var document = JsonDocument.Parse(SampleTraffic.Request);
        return document.RootElement.GetProperty("messages"u8).GetArrayLength();
    }

    [Benchmark(Description = "ChatRequest.TryParse (validate)")]
    [BenchmarkCategory("request")]
    public bool ParseRequest()
    {
        using var request = Parse();
        return request.Stream;
    }

    [Benchmark(Description = "OpenAIRequestBody.Write (rewrite)")]
    [BenchmarkCategory("request")]
    public int RewriteBody()
    {
        using var body = OpenAIRequestBody.Write(_request, "gpt-4o-mini-2024-07-18");
        return body.WrittenCount;
    }

    [Benchmark(Description = "Pricing.CostNanoUsd")]
    [BenchmarkCategory("cost")]
    public long Cost() => s_pricing.CostNanoUsd(1234, 567);

    private static ChatRequest Parse()
    {
        var rented = ArrayPool<byte>.Shared.Rent(SampleTraffic.Request.Length);
        SampleTraffic.Request.CopyTo(rented, 0);
        if (!ChatRequest.TryParse(rented, SampleTraffic.Request.Length, out var request, out _))
        {
            throw new InvalidOperationException("The sample request does not validate.");
        }
        return request!;
    }
}
