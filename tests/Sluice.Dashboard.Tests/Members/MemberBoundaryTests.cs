using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Dashboard.Tests.SignIn;
using Sluice.Testing;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.Members;

/// <summary>
/// The account's member boundary (one Entra ID tenant, one email domain): an Owner sees and sets it on the Team page,
/// a key sets it through <c>/v1/account/member-boundary</c>, both by the same rule (Owner and Admin, audited), and an
/// invitation or a sign-in from outside it is refused with a sentence that says why.
/// </summary>
public sealed class MemberBoundaryTests
{
    private const string BoundaryPath = "v1/account/member-boundary";

    [Fact]
    public async Task AnOwner_SetsTheBoundaryOnTheTeamPage_ItIsAudited_AndAnInvitationOutsideItIsRefusedWithAClearMessage()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner) = await MemberSignInTests.OwnerKeyCallerAsync(sluice);
        using var alice = new DashboardBrowser(sluice.BaseAddress);
        var (invitation, _) = await sluice.Services.GetRequiredService<MemberLifecycle>().InviteAsync(owner, TestIdentityProvider.Alice.Email, "owner", CancellationToken.None);
        var home = await alice.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);
        await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/invitations/{invitation!.Id}/accept", [home.Last.Csrf()]);
        var team = await alice.GetAsync($"/dashboard/accounts/{account.Id}/team");
        Assert.Contains("Anyone who is invited can join.", team.Last.Body, StringComparison.Ordinal);

        var set = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/team/boundary",
            [team.Last.Csrf(), new("tenant", TestIdentityProvider.HomeTenant.ToUpperInvariant()), new("email_domain", " Example.com ")]);

        Assert.Equal($"/dashboard/accounts/{account.Id}/team", set.Last.Url.AbsolutePath);
        Assert.Contains($"Only people of the Entra ID tenant {TestIdentityProvider.HomeTenant} with a verified email at example.com can be invited and join.",
            set.Last.Body, StringComparison.Ordinal);
        Assert.Contains("value=\"example.com\"", set.Last.Body, StringComparison.Ordinal);
        var stored = await sluice.Services.GetRequiredService<AccountStore>().GetAsync(account.Id, CancellationToken.None);
        Assert.Equal((TestIdentityProvider.HomeTenant, "example.com"), (stored!.MemberTenant, stored.MemberEmailDomain));
        var audit = await MemberSignInTests.ListAsync(sluice.Services.GetRequiredService<AuditLog>()
            .QueryAsync(account.Id, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, CancellationToken.None));
        var changed = Assert.Single(audit, e => e.Action == "member_boundary.changed");
        Assert.StartsWith("mem_", changed.Actor, StringComparison.Ordinal);
        Assert.Contains("email_domain=example.com", changed.Details, StringComparison.Ordinal);

        var outside = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/team/invite",
            [set.Last.Csrf(), new("email", "mallory@elsewhere.test"), new("role", "developer")]);
        Assert.Equal(HttpStatusCode.Forbidden, outside.Last.Status);
        Assert.Contains("mallory@elsewhere.test is outside this account&#x27;s member boundary: it only admits people with an email at example.com.",
            outside.Last.Body, StringComparison.Ordinal);
        var inside = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/team/invite",
            [set.Last.Csrf(), new("email", "bob@example.com"), new("role", "developer")]);
        Assert.Equal(HttpStatusCode.OK, inside.Last.Status);
        var waiting = Assert.Single(await MemberSignInTests.ListAsync(sluice.Services.GetRequiredService<MemberStore>().ListInvitationsAsync(account.Id, CancellationToken.None)));
        Assert.Equal("bob@example.com", waiting.Email);

        // A malformed value changes nothing and says what is expected.
        var bad = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/team/boundary",
            [set.Last.Csrf(), new("tenant", ""), new("email_domain", "@example.com")]);
        Assert.Equal(HttpStatusCode.BadRequest, bad.Last.Status);
        Assert.Contains("&#x27;email_domain&#x27; must be a domain name such as example.com", bad.Last.Body, StringComparison.Ordinal);
        stored = await sluice.Services.GetRequiredService<AccountStore>().GetAsync(account.Id, CancellationToken.None);
        Assert.Equal((TestIdentityProvider.HomeTenant, "example.com"), (stored!.MemberTenant, stored.MemberEmailDomain));
    }

    [Fact]
    public async Task AnInvitedPerson_FromAnotherTenant_IsRefusedWithTheReason()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner) = await MemberSignInTests.OwnerKeyCallerAsync(sluice);
        var (bound, _) = await MemberBoundary.SetAsync(sluice.Services.GetRequiredService<AccountLifecycle>(), owner, TestIdentityProvider.OtherTenant, null,
            CancellationToken.None);
        var (invitation, error) = await sluice.Services.GetRequiredService<MemberLifecycle>()
            .InviteAsync(new Caller(bound!, owner.Key, null), TestIdentityProvider.Bob.Email, "developer", CancellationToken.None);
        Assert.Null(error);
        using var bob = new DashboardBrowser(sluice.BaseAddress);
        var home = await bob.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Bob.Subject);

        var accepted = await bob.PostFormAsync($"/dashboard/accounts/{account.Id}/invitations/{invitation!.Id}/accept", [home.Last.Csrf()]);

        Assert.Equal(HttpStatusCode.Forbidden, accepted.Last.Status);
        Assert.Contains($"This account only admits people of the Microsoft Entra ID tenant {TestIdentityProvider.OtherTenant}, and you signed in from another directory.",
            accepted.Last.Body, StringComparison.Ordinal);
        Assert.Empty(await MemberSignInTests.ListAsync(sluice.Services.GetRequiredService<MemberStore>().ListAsync(account.Id, CancellationToken.None)));
    }

    [Fact]
    public async Task TheApi_ShowsAndSetsTheBoundary_ForOwnerAndAdminKeysOnly_Audited()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, ownerKey) = await sluice.CreateAccountAsync();
        using var owner = sluice.CreateHttpClient(ownerKey);
        var keys = new Dictionary<string, string>();
        foreach (var role in new[] { "admin", "developer", "restricted" })
        {
            using var created = await owner.PostAsJsonAsync("v1/keys", new { name = role, role, allowed_models = new[] { "mock" } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            keys[role] = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;
        }

        Assert.Equal("{}", await owner.GetStringAsync(BoundaryPath));
        using (var admin = sluice.CreateHttpClient(keys["admin"]))
        {
            using var put = await admin.PutAsJsonAsync(BoundaryPath, new { tenant = TestIdentityProvider.HomeTenant, email_domain = "Example.com" });
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            Assert.Equal($$"""{"tenant":"{{TestIdentityProvider.HomeTenant}}","email_domain":"example.com"}""", await put.Content.ReadAsStringAsync());
        }
        foreach (var role in new[] { "developer", "restricted" })
        {
            using var client = sluice.CreateHttpClient(keys[role]);
            using var get = await client.GetAsync(BoundaryPath);
            using var put = await client.PutAsJsonAsync(BoundaryPath, new { tenant = (string?)null, email_domain = (string?)null });
            Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (get.StatusCode, put.StatusCode));
            Assert.Contains("insufficient_role", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var bad = await owner.PutAsJsonAsync(BoundaryPath, new { tenant = "contoso", email_domain = (string?)null }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var error = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            Assert.Equal("tenant", error.GetProperty("param").GetString());
        }

        var stored = await sluice.Services.GetRequiredService<AccountStore>().GetAsync(account.Id, CancellationToken.None);
        Assert.Equal((TestIdentityProvider.HomeTenant, "example.com"), (stored!.MemberTenant, stored.MemberEmailDomain));
        var audit = await MemberSignInTests.ListAsync(sluice.Services.GetRequiredService<AuditLog>()
            .QueryAsync(account.Id, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, CancellationToken.None));
        Assert.Single(audit, e => e.Action == "member_boundary.changed" && e.Actor.StartsWith("key_", StringComparison.Ordinal));
    }
}
