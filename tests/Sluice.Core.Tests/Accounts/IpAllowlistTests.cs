using System.Net;
using Sluice.Accounts;

namespace Sluice.Core.Tests.Accounts;

public sealed class IpAllowlistTests
{
    [Fact]
    public void Parse_NormalisesAddressesAndRanges_AndReportsEachInvalidEntryByIndex()
    {
        var (normalised, invalid) = IpAllowlist.Parse(
            ["10.1.2.3", " 192.168.0.0/16 ", "2001:DB8::1", "2001:db8::/32", "10.0.0.1/8", "10.0.0.0/33", "::ffff:1.2.3.4/200", "x", ""]);

        // A range written from a host address is stored as the network it denotes, and shown back that way.
        Assert.Equal(["10.1.2.3/32", "192.168.0.0/16", "2001:db8::1/128", "2001:db8::/32", "10.0.0.0/8"], normalised);
        Assert.Equal([5, 6, 7, 8], invalid);
    }

    [Theory]
    [InlineData("203.0.113.7", true)]
    [InlineData("203.0.114.7", false)]
    [InlineData("2001:db8:ffff::1", true)]
    [InlineData("2001:db9::1", false)]
    // An IPv4 client seen on a dual-stack socket arrives IPv4-mapped; it must match the IPv4 range.
    [InlineData("::ffff:203.0.113.7", true)]
    [InlineData("::1", false)]
    public void Allows_ChecksIPv4AndIPv6Ranges(string client, bool allowed)
    {
        IReadOnlyList<string> list = ["203.0.113.0/24", "2001:db8::/32"];

        Assert.Equal(allowed, IpAllowlist.Allows(list, IPAddress.Parse(client)));
    }

    [Fact]
    public void Allows_AnEmptyListAllowsEveryone_AnUnknownAddressOnlyAnEmptyList()
    {
        Assert.True(IpAllowlist.Allows([], null));
        Assert.True(IpAllowlist.Allows([], IPAddress.Parse("198.51.100.1")));
        Assert.False(IpAllowlist.Allows(["0.0.0.0/0"], null));
    }
}
