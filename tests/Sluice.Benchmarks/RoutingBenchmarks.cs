using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Providers;
using Sluice.Routing;

namespace Sluice.Benchmarks;

/// <summary>
/// Route resolution against a catalog of 50 models (issue 10: resolution must add no measurable latency). The
/// baseline is the least any gateway can do: one dictionary lookup of the model name.
/// </summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    private const int Models = 50;
    private readonly Dictionary<string, string> _plain = new(StringComparer.Ordinal);
    private RouteSelector _selector = null!;
    private ServiceProvider _services = null!;
    private ApiKey _key = null!;
    private DataPolicy _policy = null!;
    private string _model = "";

    [GlobalSetup]
    public void Setup()
    {
        var settings = new Dictionary<string, string?> { ["Sluice:DataRegion"] = "eu" };
        for (var i = 0; i < Models; i++)
        {
            var prefix = $"Sluice:Routing:Routes:{i}:";
            settings[prefix + "Model"] = $"model-{i}";
            settings[prefix + "Provider"] = "openai-compatible";
            settings[prefix + "BaseUrl"] = $"https://upstream-{i % 5}.example/v1";
            settings[prefix + "Region"] = i % 3 == 0 ? "us" : "eu";
            settings[prefix + "Retention"] = "none";
            settings[prefix + "Training"] = "no";
            _plain[$"model-{i}"] = $"route-{i}";
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        _services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddSluice().BuildServiceProvider();
        _selector = _services.GetRequiredService<RouteSelector>();
        _key = new ApiKey { Id = "key_0123456789abcdef", AccountId = "acct_bench", Role = KeyRole.Developer, Hint = "…", CreatedAt = DateTimeOffset.UnixEpoch };
        _policy = new DataPolicy(InRegionOnly: true, ZeroRetentionOnly: false, AllowTraining: false);
        _model = "model-37";
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, Description = "Dictionary lookup of the model name")]
    public string? DictionaryLookup() => _plain.GetValueOrDefault(_model);

    [Benchmark(Description = "RouteSelector.Select (catalog of 50, data policy applied)")]
    public ImmutableArray<ModelRoute> Select() => _selector.Select(_model, _key, _policy).Value;
}
