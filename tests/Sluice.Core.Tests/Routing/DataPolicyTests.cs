using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Providers;
using Sluice.Routing;
using Sluice.Stamp;
using Sluice.Testing;

namespace Sluice.Core.Tests.Routing;

public sealed class DataPolicyTests
{
    [Fact]
    public void UndeclaredFacts_AreTheWorstCase()
    {
        var facts = RouteDataFacts.From(new RouteDefinition { Model = "m", Provider = "openai" }, stampRegion: "eu");

        Assert.Equal(RouteDataFacts.WorstCase, facts);
        Assert.Equal(("global", "unknown", "unknown"), (facts.Region, facts.RetentionWire, facts.TrainingWire));
    }

    [Fact]
    public void DeclaredFacts_AreRead_AndStampMeansThisDeploymentsRegion()
    {
        var facts = RouteDataFacts.From(new RouteDefinition { Model = "m", Region = "stamp", Retention = "abuse-monitoring", RetentionDays = 30, Training = "no" }, "eu");

        Assert.Equal(new RouteDataFacts("eu", UpstreamRetention.AbuseMonitoring, 30, UpstreamTraining.No), facts);
    }

    [Theory]
    [InlineData("forever", null)]
    [InlineData(null, "maybe")]
    public void UnknownFactValues_StopTheDeploymentFromStarting(string? retention, string? training)
    {
        Assert.Throws<InvalidOperationException>(() =>
            RouteDataFacts.From(new RouteDefinition { Model = "m", Retention = retention, Training = training }, "us"));
    }

    [Fact]
    public void Tightening_KeepsTheStricterOfEachRule()
    {
        var loose = new DataPolicy(InRegionOnly: false, ZeroRetentionOnly: false, AllowTraining: true);
        var strict = new DataPolicy(InRegionOnly: true, ZeroRetentionOnly: true, AllowTraining: false);

        Assert.Equal(strict, loose.Tighten(strict));
        Assert.Equal(strict, strict.Tighten(loose));
        Assert.True(strict.IsAtLeastAsStrictAs(loose));
        Assert.False(loose.IsAtLeastAsStrictAs(strict));
    }

    [Theory]
    // The account: in region, any retention, training allowed.
    [InlineData(null, true, false, true)]
    [InlineData("zero-retention", true, true, true)]
    [InlineData("in-region, zero_retention_only ,no-training", true, true, false)]
    public void TheHeader_OnlyTightensTheAccountsPolicy(string? header, bool inRegion, bool zeroRetention, bool allowTraining)
    {
        var selector = Selector(floor: false);
        var headers = new HeaderDictionary();
        if (header is not null)
        {
            headers[RouteSelector.PolicyHeader] = header;
        }

        var (policy, error) = selector.EffectivePolicy(Account(new DataPolicy(true, false, true)), headers);

        Assert.Null(error);
        Assert.Equal(new DataPolicy(inRegion, zeroRetention, allowTraining), policy);
    }

    [Theory]
    [InlineData("allow-training")]
    [InlineData("out-of-region")]
    [InlineData("zero-retention,anything")]
    public void AHeaderWordThatIsNotATighteningRule_IsRefused(string header)
    {
        var (policy, error) = Selector(floor: false).EffectivePolicy(Account(null), new HeaderDictionary { [RouteSelector.PolicyHeader] = header });

        Assert.Null(policy);
        Assert.Equal(400, error!.Status);
        Assert.Equal(RouteSelector.PolicyHeader, error.Param);
    }

    [Fact]
    public void WithFloors_AnAccountsLooserPolicyIsHeldToThem()
    {
        var account = Account(new DataPolicy(InRegionOnly: false, ZeroRetentionOnly: false, AllowTraining: true));

        Assert.Equal(new DataPolicy(false, false, true), Selector(floor: false).AccountPolicy(account));
        Assert.Equal(new DataPolicy(true, false, false), Selector(floor: true).AccountPolicy(account));
    }

    private static RouteSelector Selector(bool floor)
    {
        var defaults = new DataPolicyOptions { EnforceAsFloor = floor };
        return new RouteSelector(null!, Options.Create(new StampOptions { DataRegion = "us" }), new StaticMonitor<DataPolicyOptions>(defaults));
    }

    private static Account Account(DataPolicy? policy) => new()
    {
        Id = "acct_0123456789abcdef",
        Region = "us",
        State = AccountState.Active,
        CreatedAt = DateTimeOffset.UnixEpoch,
        Retention = new RetentionPolicy(default, 0, 1),
        DataPolicy = policy,
    };

    private sealed class StaticMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
