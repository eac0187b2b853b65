using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sluice.Accounts;
using Sluice.FairUse;
using Sluice.Storage;
using Sluice.Testing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Benchmarks;

/// <summary>
/// The request-path cost of fair use (issue 18): one admission and its settlement, with limits off (baseline) and
/// with a daily and monthly budget and requests- and tokens-per-minute limits on both the key and the account.
/// Storage is a real Azurite; after the first admission (which loads the account and leases the rate limits) the
/// steady state reads nothing from it, which is what is measured. The clock is fixed so the minute never turns
/// (a new minute costs one lease per limit, once a minute).
/// </summary>
[MemoryDiagnoser]
public class FairUseBenchmarks
{
    private static readonly Func<long> s_oneToken = () => 1;
    private ServiceProvider _off = null!;
    private ServiceProvider _on = null!;
    private FairUseGate _gateOff = null!;
    private FairUseGate _gateOn = null!;
    private Caller _caller = null!;
    private FakeTimeProvider _time = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 30, TimeSpan.Zero));
        var connection = await Azurite.DevConnectionStringAsync();
        var prefix = Azurite.UniqueName("bench");
        _off = Build(connection, prefix, enabled: false);
        _on = Build(connection, prefix, enabled: true);
        var storage = _on.GetRequiredService<SluiceStorage>();
        await storage.EnsureCreatedAsync(CancellationToken.None);
        if (!(await _on.GetRequiredService<AccountLifecycle>().CreateAsync("bench", null, "bench", null, CancellationToken.None)).TryGet(out var created, out var error))
        {
            throw new InvalidOperationException(error.Message);
        }
        var (account, key) = (created.Account, created.OwnerKey);
        var apiKey = await _on.GetRequiredService<KeyStore>().FindByHashAsync(GatewayKey.Hash(key.Key), CancellationToken.None);
        _caller = new Caller(account, apiKey!, null);
        var limits = new Limits(1_000_000m, 10_000_000m, int.MaxValue, int.MaxValue);
        var store = _on.GetRequiredService<LimitStore>();
        await store.SetAsync(account.Id, LimitSubject.Key(apiKey!.Id), limits, CancellationToken.None);
        await store.SetAsync(account.Id, LimitSubject.Account(account.Id), limits, CancellationToken.None);
        _gateOff = _off.GetRequiredService<FairUseGate>();
        _gateOn = _on.GetRequiredService<FairUseGate>();
        // Loads the account and leases each rate limit (LeaseShares = 1: the whole limit in one lease).
        Admit(_gateOn);
    }

    private ServiceProvider Build(string connection, string prefix, bool enabled)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:DataRegion"] = "us",
            ["Sluice:Storage:ConnectionString"] = connection,
            ["Sluice:Storage:TablePrefix"] = prefix,
            ["Sluice:Storage:PayloadContainer"] = prefix + "-payloads",
            ["Sluice:Storage:LockContainer"] = prefix + "-locks",
            ["Sluice:FairUse:Enabled"] = enabled ? "true" : "false",
            ["Sluice:FairUse:LeaseShares"] = "1",
        }).Build();
        return new ServiceCollection().AddSingleton<TimeProvider>(_time).AddSingleton<IConfiguration>(configuration).AddLogging().AddSluice()
            .BuildServiceProvider();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _off.Dispose();
        _on.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Admit + settle, fair use off")]
    public bool Off() => Admit(_gateOff);

    [Benchmark(Description = "Admit + settle, budgets and rate limits on key and account")]
    public bool On() => Admit(_gateOn);

    private bool Admit(FairUseGate gate)
    {
        var requestId = RequestId.New(_time.GetUtcNow());
        var admission = gate.AdmitAsync(_caller, requestId, s_oneToken, CancellationToken.None);
        var admitted = (admission.IsCompletedSuccessfully ? admission.Result : admission.AsTask().GetAwaiter().GetResult()).Admitted;
        gate.Settle(new UsageRecord
        {
            RequestId = requestId,
            AccountId = _caller.Account.Id,
            KeyId = _caller.Key.Id,
            DataRegion = "us",
            Model = "mock",
            Status = 200,
            PromptTokens = 1,
            CostNanoUsd = 1,
        });
        return admitted;
    }
}
