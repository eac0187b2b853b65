using Sluice.Accounts;

namespace Sluice.Core.Tests.Accounts;

public sealed class GatewayKeyTests
{
    [Fact]
    public void Keys_Carry256RandomBits_AndTheirRegion()
    {
        var a = GatewayKey.Generate("eu");
        var b = GatewayKey.Generate("eu");

        Assert.StartsWith("sk-sluice-eu-", a, StringComparison.Ordinal);
        Assert.NotEqual(a, b);
        Assert.Equal(43, a.Length - "sk-sluice-eu-".Length);
        Assert.Equal("eu", GatewayKey.RegionOf(a));
        Assert.Null(GatewayKey.RegionOf("sk-proj-abc"));
        Assert.Null(GatewayKey.RegionOf("sk-sluice-eu-short"));
    }

    [Fact]
    public void Hash_IsSha256Hex_AndStable()
    {
        var key = GatewayKey.Generate("us");
        Assert.Equal(GatewayKey.Hash(key), GatewayKey.Hash(key));
        Assert.Equal(64, GatewayKey.Hash(key).Length);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", GatewayKey.Hash("abc"));
    }
}
