using System.Buffers;
using BenchmarkDotNet.Attributes;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Routing;

namespace Sluice.Benchmarks;

/// <summary>Per-request work before the upstream call and after the answer: parse and validate, rewrite the body
/// for an OpenAI-format upstream, and price the usage.</summary>
[MemoryDiagnoser]
public class RequestBenchmarks
{
    private static readonly Pricing s_pricing = new(0.15m, 0.6m);
    private ChatRequest _request = null!;

    [GlobalSetup]
    public void Setup() => _request = Parse();

    [GlobalCleanup]
    public void Cleanup() => _request.Dispose();

    [Benchmark(Description = "ChatRequest.TryParse (validate)")]
    public bool ParseRequest()
    {
        using var request = Parse();
        return request.Stream;
    }

    [Benchmark(Description = "OpenAIRequestBody.Write (rewrite)")]
    public int RewriteBody()
    {
        using var body = OpenAIRequestBody.Write(_request, "gpt-4o-mini-2024-07-18");
        return body.WrittenCount;
    }

    [Benchmark(Description = "Pricing.CostNanoUsd")]
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
