using System.Net;
using Azure.Data.Tables;
using Sluice.Accounts;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>
/// The account's IP allowlist over real sockets. Test clients connect from 127.0.0.1, so addresses elsewhere are
/// presented through <c>X-Forwarded-For</c>: believed (rightmost entry) only by an app configured to trust it, and
/// ignored otherwise, which is what stops a client from spoofing its way onto the list.
/// </summary>
public sealed class IpAllowlistEndToEndTests
{
    [Fact]
    public async Task Put_InvalidEntry_Is400NamingItsIndex_AndChangesNothing()
    {
        await using var app = await SluiceApplication.StartAsync();
        var (account, owner) = await app.CreateAccountAsync();

        var response = await app.CreateHttpClient(owner).SendAsync(HttpMethod.Put, "v1/account/ip-allowlist",
            """{"ip_allowlist":["127.0.0.1","10.0.0.0/33","not-an-address"]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.BodyAsync()).GetProperty("error");
        Assert.Equal("ip_allowlist[1]", error.GetProperty("param").GetString());
        Assert.Contains("ip_allowlist[1]", error.GetProperty("message").GetString());
        Assert.Empty((await app.StoredAccountAsync(account.Id))!.IpAllowlist);
    }

    [Fact]
    public async Task Put_ListThatIncludesTheCaller_IsNormalisedAndEnforced_ForIPv4AndIPv6()
    {
        await using var app = await SluiceApplication.StartAsync();
        var (_, owner) = await app.CreateAccountAsync();
        var client = app.CreateHttpClient(owner);

        var put = await client.SendAsync(HttpMethod.Put, "v1/account/ip-allowlist", """{"ip_allowlist":[" 127.0.0.1 ","2001:DB8::/32"]}""");

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var view = await (await client.GetAsync("v1/account/ip-allowlist")).BodyAsync();
        Assert.Equal(["127.0.0.1/32", "2001:db8::/32"], view.GetProperty("ip_allowlist").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("127.0.0.1", view.GetProperty("client_ip").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.ChatAsync()).StatusCode);
    }

    [Fact]
    public async Task Put_ListThatLocksOutTheCaller_Is409_UnlessForced_ThenEveryRequestFromElsewhereGets403AndIsAudited()
    {
        await using var app = await SluiceApplication.StartAsync();
        var (account, owner) = await app.CreateAccountAsync();
        var client = app.CreateHttpClient(owner);

        var refused = await client.SendAsync(HttpMethod.Put, "v1/account/ip-allowlist", """{"ip_allowlist":["203.0.113.0/24"]}""");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("ip_allowlist_excludes_caller", await refused.ErrorCodeAsync());
        Assert.Contains("127.0.0.1", (await refused.BodyAsync()).GetProperty("error").GetProperty("message").GetString());
        Assert.Empty((await app.StoredAccountAsync(account.Id))!.IpAllowlist);

        var forced = await client.SendAsync(HttpMethod.Put, "v1/account/ip-allowlist", """{"ip_allowlist":["203.0.113.0/24"],"force":true}""");
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);

        foreach (var response in new[] { await client.ChatAsync(), await client.GetAsync("v1/account"), await client.GetAsync("v1/models") })
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("ip_not_allowed", await response.ErrorCodeAsync());
        }
        var audit = new List<TableEntity>();
        await foreach (var e in app.Storage.Audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {account.Id}")))
        {
            audit.Add(e);
        }
        var failure = Assert.Single(audit, e => e.GetString("Action") == "auth.failed");
        Assert.Equal("ip_not_allowed", failure.GetString("Details"));
        Assert.Equal("127.0.0.1", failure.GetString("SourceIp"));
        Assert.StartsWith("key_", failure.GetString("Target"), StringComparison.Ordinal);
        Assert.Contains(audit, e => e.GetString("Action") == "ip_allowlist.changed" && e.GetString("Details")!.Contains("203.0.113.0/24", StringComparison.Ordinal));
        Assert.DoesNotContain(audit, e => ((IDictionary<string, object>)e).Values.OfType<string>().Any(v => v.Contains(owner, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("203.0.113.9", HttpStatusCode.OK)]
    [InlineData("2001:db8::7", HttpStatusCode.OK)]
    [InlineData("[2001:db8::7]:443", HttpStatusCode.OK)]
    [InlineData("198.51.100.1", HttpStatusCode.Forbidden)]
    [InlineData("2001:db9::1", HttpStatusCode.Forbidden)]
    // The trusted proxy appends the address it saw; entries to its left are the client's own claims.
    [InlineData("198.51.100.1, 203.0.113.9", HttpStatusCode.OK)]
    [InlineData("203.0.113.9, 198.51.100.1", HttpStatusCode.Forbidden)]
    [InlineData("garbage", HttpStatusCode.Forbidden)]
    public async Task BehindATrustedProxy_TheRightmostForwardedAddressIsChecked(string forwardedFor, HttpStatusCode expected)
    {
        await using var app = await SluiceApplication.StartAsync(new Dictionary<string, string?> { ["Sluice:Proxy:TrustForwardedFor"] = "true" });
        var (_, owner) = await app.CreateAccountAsync();
        var put = await app.CreateHttpClient(owner).SendAsync(HttpMethod.Put, "v1/account/ip-allowlist",
            """{"ip_allowlist":["203.0.113.0/24","2001:db8::/32"],"force":true}""");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var client = app.CreateHttpClient(owner);
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);

        Assert.Equal(expected, (await client.ChatAsync()).StatusCode);
    }

    [Theory]
    [InlineData("203.0.113.0/24", "203.0.113.9", HttpStatusCode.Forbidden)]
    [InlineData("2001:db8::/32", "2001:db8::7", HttpStatusCode.Forbidden)]
    [InlineData("127.0.0.1", "203.0.113.9", HttpStatusCode.OK)]
    public async Task NotBehindATrustedProxy_ASpoofedForwardedHeaderIsIgnored(string allowed, string spoofed, HttpStatusCode expected)
    {
        await using var app = await SluiceApplication.StartAsync();
        var (_, owner) = await app.CreateAccountAsync();
        var put = await app.CreateHttpClient(owner).SendAsync(HttpMethod.Put, "v1/account/ip-allowlist",
            $$"""{"ip_allowlist":["{{allowed}}"],"force":true}""");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var client = app.CreateHttpClient(owner);
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Forwarded-For", spoofed);

        Assert.Equal(expected, (await client.ChatAsync()).StatusCode);
    }
}
