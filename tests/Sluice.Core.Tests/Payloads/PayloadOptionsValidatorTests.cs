using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Payloads;

namespace Sluice.Core.Tests.Payloads;

/// <summary>Start-up validation of <c>Sluice:Payloads</c>: every setting is checked, with a master key or without.</summary>
public sealed class PayloadOptionsValidatorTests
{
    private static readonly string s_validKey = Convert.ToBase64String(new byte[32]);

    [Theory]
    [InlineData(true, "00:01:00", true)]
    [InlineData(false, "00:01:00", true)]
    [InlineData(true, "02:00:00", false)]
    [InlineData(false, "02:00:00", false)]
    [InlineData(true, "-00:00:01", false)]
    public void DataKeyCacheTtl_IsBounded_WhetherOrNotAMasterKeyIsSet(bool withKey, string ttl, bool valid)
    {
        var validator = new PayloadOptionsValidator(Options.Create(new RetentionOptions()));

        var result = validator.Validate(null, new PayloadOptions { MasterKey = withKey ? s_validKey : null, DataKeyCacheTtl = TimeSpan.Parse(ttl, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("DataKeyCacheTtl", result.FailureMessage, StringComparison.Ordinal);
        }
    }
}
