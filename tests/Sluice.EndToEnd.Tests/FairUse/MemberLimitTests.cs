using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.EndToEnd.Tests.Accounts;
using Sluice.FairUse;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.FairUse;

/// <summary>
/// Limits per member: a key a member created (from the dashboard, which creates keys as the signed-in member through
/// <see cref="AccountLifecycle.CreateKeyAsync"/>) counts against that member's budget and rate together with the
/// member's other keys; keys made otherwise do not. Set through <c>/v1/members/{id}/limits</c> by Owner and Admin only,
/// audited, in the export.
/// </summary>
public sealed class MemberLimitTests
{
    [Fact]
    public async Task AMembersBudget_SpansTheKeysTheMemberCreated_AndNoOtherKey()
    {
        var clock = AccountApi.Clock();
        await using var app = await FairUseApi.StartAsync(clock);
        var (account, owner) = await app.CreateAccountAsync();
        var alice = await AddMemberAsync(app, account.Id, "alice", KeyRole.Developer);
        var first = await KeyOfAsync(app, account, alice);
        var second = await KeyOfAsync(app, account, alice);
        var (_, other) = await app.CreateKeyAsync(account.Id, "developer");
        // One answer costs about $0.004: the member's two keys together pass $0.01 on the third.
        await app.SetLimitsAsync(owner, null, """{"daily_budget_usd":100}""");
        var put = await app.CreateHttpClient(owner).SendAsync(HttpMethod.Put, $"v1/members/{alice.Id}/limits", """{"daily_budget_usd":0.01}""");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var served = 0;
        HttpResponseMessage response;
        while ((response = await app.ChatAsync(served % 2 == 0 ? first : second, "spend " + served)).StatusCode == HttpStatusCode.OK)
        {
            served++;
            Assert.True(served < 6, "The member's budget never refused.");
        }

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = (await response.BodyAsync()).GetProperty("error");
        Assert.Equal("budget_exceeded", error.GetProperty("code").GetString());
        Assert.StartsWith("The member's daily budget of $0.01 is spent", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.InRange(served, 2, 4);
        // Both of the member's keys are refused; a key the member did not create is not.
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ChatAsync(first, "again")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ChatAsync(second, "again")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(other, "someone else's key")).StatusCode);

        // The next UTC day serves the member's keys again.
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(first, "tomorrow")).StatusCode);
    }

    [Fact]
    public async Task AMembersRateLimit_IsSharedByTheirKeys()
    {
        var clock = AccountApi.Clock();
        await using var app = await FairUseApi.StartAsync(clock);
        var (account, owner) = await app.CreateAccountAsync();
        var bob = await AddMemberAsync(app, account.Id, "bob", KeyRole.Developer);
        var first = await KeyOfAsync(app, account, bob);
        var second = await KeyOfAsync(app, account, bob);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateHttpClient(owner).SendAsync(HttpMethod.Put, $"v1/members/{bob.Id}/limits",
            """{"requests_per_minute":3}""")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(first, "1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(second, "2")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(first, "3")).StatusCode);
        var refused = await app.ChatAsync(second, "4");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("the member's limit of 3 requests per minute", (await refused.BodyAsync()).GetProperty("error").GetProperty("message").GetString(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyOwnerAndAdmin_SetAMembersLimits_TheChangeIsAudited_AndInTheExport()
    {
        await using var app = await FairUseApi.StartAsync(AccountApi.Clock());
        var (account, owner) = await app.CreateAccountAsync();
        var (adminId, admin) = await app.CreateKeyAsync(account.Id, "admin");
        var (_, developer) = await app.CreateKeyAsync(account.Id, "developer");
        var (_, restricted) = await app.CreateKeyAsync(account.Id, "restricted", "mock");
        var carol = await AddMemberAsync(app, account.Id, "carol", KeyRole.Owner);
        var path = $"v1/members/{carol.Id}/limits";

        foreach (var (key, expected) in new[] { (restricted, HttpStatusCode.Forbidden), (developer, HttpStatusCode.Forbidden), (admin, HttpStatusCode.OK), (owner, HttpStatusCode.OK) })
        {
            var client = app.CreateHttpClient(key);
            Assert.Equal(expected, (await client.GetAsync(path)).StatusCode);
            Assert.Equal(expected, (await client.SendAsync(HttpMethod.Put, path, """{"monthly_budget_usd":20}""")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateHttpClient(owner)
            .SendAsync(HttpMethod.Put, "v1/members/mem_00000000000000000000000000000000/limits", """{"monthly_budget_usd":20}""")).StatusCode);
        // A member id is not a key id, nor the other way round.
        Assert.Equal(HttpStatusCode.NotFound, (await app.PutLimitsAsync(owner, carol.Id, """{"monthly_budget_usd":20}""")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateHttpClient(owner).SendAsync(HttpMethod.Put, $"v1/members/{adminId}/limits", "{}")).StatusCode);

        var shown = await (await app.CreateHttpClient(admin).GetAsync(path)).BodyAsync();
        Assert.Equal("member", shown.GetProperty("subject").GetString());
        Assert.Equal(20m, shown.GetProperty("effective").GetProperty("monthly_budget_usd").GetDecimal());
        var change = Assert.Single(await app.AuditAsync(owner, LimitHandlers.AuditAction), c => c.GetProperty("target").GetString() == carol.Id);
        Assert.Equal(adminId, change.GetProperty("actor").GetString());
        Assert.Equal("member: none -> monthly_budget_usd=20", change.GetProperty("details").GetString());

        var export = await (await app.CreateHttpClient(owner).GetAsync("v1/account/export")).Content.ReadAsStringAsync();
        var limits = export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(l => l.GetProperty("type").GetString() == "limits").GetProperty("data");
        var member = Assert.Single(limits.GetProperty("members").EnumerateArray());
        Assert.Equal(carol.Id, member.GetProperty("id").GetString());
        Assert.Equal(20m, member.GetProperty("own").GetProperty("monthly_budget_usd").GetDecimal());
    }

    private static async Task<Member> AddMemberAsync(SluiceApplication app, string accountId, string subject, KeyRole role)
    {
        const string issuer = "https://idp.example.com/";
        var members = app.Services.GetRequiredService<MemberStore>();
        var member = new Member
        {
            AccountId = accountId,
            PersonId = PersonId.Of(issuer, subject),
            Issuer = issuer,
            Subject = subject,
            Name = subject,
            Role = role,
            JoinedAt = DateTimeOffset.UnixEpoch,
        };
        Assert.True(await members.TryAddAsync(member, CancellationToken.None));
        return (await members.GetAsync(accountId, member.PersonId, CancellationToken.None))!;
    }

    /// <summary>A key created as the member acting, as the dashboard's key page creates it.</summary>
    private static async Task<string> KeyOfAsync(SluiceApplication app, Account account, Member member)
    {
        var (created, error) = await app.Services.GetRequiredService<AccountLifecycle>().CreateKeyAsync(account,
            new CreateKeyRequest(null, "developer", null, null), member.Role, member.Id, null, CancellationToken.None);
        Assert.Null(error);
        return created!.Key;
    }
}
