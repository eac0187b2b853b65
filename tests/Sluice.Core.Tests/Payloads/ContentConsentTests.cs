using Microsoft.AspNetCore.Http;
using Sluice.Accounts;
using Sluice.Payloads;
using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.Core.Tests.Payloads;

public sealed class ContentConsentTests
{
    private static readonly RetentionPolicy s_retainAll30 = new(ContentMode.RetainAll, 30, 90);
    private static readonly RetentionPolicy s_metadataOnly = new(ContentMode.MetadataOnly, 30, 90);

    private static Sluice.Wire.Outcome<int> Decide(RetentionPolicy policy, bool? store, string? storeHeader = null, string? daysHeader = null)
    {
        var headers = new HeaderDictionary();
        if (storeHeader is not null)
        {
            headers[ContentConsent.StoreHeader] = storeHeader;
        }
        if (daysHeader is not null)
        {
            headers[ContentConsent.DaysHeader] = daysHeader;
        }
        return ContentConsent.Decide(policy, store, headers);
    }

    [Theory]
    [InlineData(null, null, null, 30)]
    [InlineData(true, null, null, 30)]
    [InlineData(false, null, null, 0)]
    [InlineData(null, "none", null, 0)]
    [InlineData(true, "NONE", null, 0)]
    [InlineData(null, null, "7", 7)]
    [InlineData(null, null, "0", 0)]
    [InlineData(null, null, "365", 30)]
    [InlineData(false, null, "7", 0)]
    public void RetainAllAccount_RequestsCanOnlyShortenOrSkipStorage(bool? store, string? storeHeader, string? daysHeader, int expected)
    {
        var (days, error) = Decide(s_retainAll30, store, storeHeader, daysHeader);
        Assert.Null(error);
        Assert.Equal(expected, days);
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData(true, null, "365")]
    [InlineData(true, null, "30")]
    public void MetadataOnlyAccount_NothingARequestSendsStoresContent(bool? store, string? storeHeader, string? daysHeader)
    {
        var (days, error) = Decide(s_metadataOnly, store, storeHeader, daysHeader);
        Assert.Null(error);
        Assert.Equal(0, days);
    }

    [Theory]
    [InlineData("all", null)]
    [InlineData("keep", null)]
    [InlineData(null, "-1")]
    [InlineData(null, "366")]
    [InlineData(null, "7.5")]
    [InlineData(null, "seven")]
    public void UnknownOrOutOfRangeHeaderValues_Are400_NamingTheHeader(string? storeHeader, string? daysHeader)
    {
        var (_, error) = Decide(s_retainAll30, null, storeHeader, daysHeader);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal(storeHeader is not null ? ContentConsent.StoreHeader : ContentConsent.DaysHeader, error.Param);
    }
}
