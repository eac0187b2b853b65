using Sluice.Accounts;

namespace Sluice.Core.Tests.Retention;

public sealed class RetentionOptionsValidatorTests
{
    [Fact]
    public void TheDefaults_AreValid() => Assert.True(new RetentionOptionsValidator().Validate(null, new RetentionOptions()).Succeeded);

    [Theory]
    [InlineData("LifecycleTiers", "1,7,30", "LifecycleTiers must include a tier of at least MaxContentRetentionDays (365)")]
    [InlineData("DefaultContentRetentionDays", "100", "DefaultContentRetentionDays must not exceed DefaultUsageRetentionDays")]
    [InlineData("MaxContentRetentionDays", "10", "MinContentRetentionDays <= DefaultContentRetentionDays <= MaxContentRetentionDays")]
    [InlineData("MinUsageRetentionDays", "120", "MinUsageRetentionDays <= DefaultUsageRetentionDays <= MaxUsageRetentionDays")]
    public void InconsistentSettings_StopTheAppAtStart_NamingTheRule(string setting, string value, string message)
    {
        var options = new RetentionOptions();
        typeof(RetentionOptions).GetProperty(setting)!.SetValue(options, setting == "LifecycleTiers" ? value : int.Parse(value, System.Globalization.CultureInfo.InvariantCulture));

        var result = new RetentionOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }
}
