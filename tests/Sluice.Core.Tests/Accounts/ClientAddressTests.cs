using System.Net;
using Microsoft.AspNetCore.Http;
using Sluice.Accounts;

namespace Sluice.Core.Tests.Accounts;

public sealed class ClientAddressTests
{
    [Theory]
    [InlineData("203.0.113.9", "203.0.113.9")]
    [InlineData("203.0.113.9:51234", "203.0.113.9")]
    [InlineData("2001:db8::9", "2001:db8::9")]
    [InlineData("[2001:db8::9]:443", "2001:db8::9")]
    [InlineData("198.51.100.1, 2001:db8::9", "2001:db8::9")]
    [InlineData("not-an-address", null)]
    public void Trusted_TheRightmostForwardedEntryIsTheClient(string forwardedFor, string? expected)
    {
        var context = Context("10.0.0.4", forwardedFor);

        Assert.Equal(expected, ClientAddress.Of(context, new ForwardedForOptions { TrustForwardedFor = true })?.ToString());
    }

    [Fact]
    public void Trusted_WithTwoProxies_TheSecondEntryFromTheRightIsTheClient()
    {
        var context = Context("10.0.0.4", "198.51.100.1, 203.0.113.9, 10.1.1.1");

        Assert.Equal("203.0.113.9", ClientAddress.Of(context, new ForwardedForOptions { TrustForwardedFor = true, ForwardedHopCount = 2 })?.ToString());
    }

    [Theory]
    [InlineData("10.0.0.4")]
    [InlineData("2001:db8::4")]
    public void NotTrusted_TheHeaderIsIgnored_TheConnectionAddressIsUsed(string connection)
    {
        var context = Context(connection, "203.0.113.9");

        Assert.Equal(IPAddress.Parse(connection), ClientAddress.Of(context, new ForwardedForOptions()));
    }

    [Fact]
    public void Trusted_WithoutTheHeader_TheConnectionAddressIsUsed()
    {
        Assert.Equal(IPAddress.Parse("10.0.0.4"), ClientAddress.Of(Context("10.0.0.4", null), new ForwardedForOptions { TrustForwardedFor = true }));
    }

    private static DefaultHttpContext Context(string remote, string? forwardedFor)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        if (forwardedFor is not null)
        {
            context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        }
        return context;
    }
}
