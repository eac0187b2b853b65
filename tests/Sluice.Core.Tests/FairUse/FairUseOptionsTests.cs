using Sluice.FairUse;

namespace Sluice.Core.Tests.FairUse;

public sealed class FairUseOptionsTests
{
    [Fact]
    public void Effective_IsOwnElseDefault_NeverAboveTheMaximum()
    {
        var options = new FairUseOptions { DefaultKeyRequestsPerMinute = 60, MaxRequestsPerMinute = 100, MaxDailyBudgetUsd = 50, DefaultAccountMonthlyBudgetUsd = 500 };

        Assert.Equal(new Limits(50, null, 60, null), options.Effective(LimitSubjectKind.Key, null));
        Assert.Equal(new Limits(10, null, 80, null), options.Effective(LimitSubjectKind.Key, new Limits(10, null, 80, null)));
        Assert.Equal(new Limits(50, 500, 100, null), options.Effective(LimitSubjectKind.Account, null));
        // A member is limited only by what was set on them (their keys and account carry the deployment's defaults),
        // and what is set is capped by the maximum.
        Assert.Equal(Limits.None, options.Effective(LimitSubjectKind.Member, null));
        Assert.Equal(new Limits(50, null, 100, null), options.Effective(LimitSubjectKind.Member, new Limits(75, null, 150, null)));
    }

    [Theory]
    [InlineData(nameof(FairUseOptions.DefaultKeyRequestsPerMinute), 200, "above the deployment's maximum")]
    [InlineData(nameof(FairUseOptions.MaxDailyBudgetUsd), -1, "must be from 0")]
    [InlineData(nameof(FairUseOptions.DefaultAccountTokensPerMinute), -5, "must be 0 (none) or more")]
    public void Validator_RefusesNegativeLimits_AndDefaultsAboveTheMaximum(string setting, int value, string expected)
    {
        var options = new FairUseOptions { MaxRequestsPerMinute = 100 };
        var property = typeof(FairUseOptions).GetProperty(setting)!;
        property.SetValue(options, property.PropertyType == typeof(decimal) ? (object)(decimal)value : value);

        var result = new FairUseOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new FairUseOptionsValidator().Validate(null, new FairUseOptions()).Succeeded);
    }

    [Theory]
    [InlineData(20, "20ms")]
    [InlineData(1500, "1.5s")]
    [InlineData(45000, "45s")]
    [InlineData(60000, "1m0s")]
    [InlineData(360000, "6m0s")]
    public void ResetHeader_IsWrittenAsOpenAIWritesIt(int milliseconds, string expected) =>
        Assert.Equal(expected, Admission.ResetText(TimeSpan.FromMilliseconds(milliseconds)));
}
