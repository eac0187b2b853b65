using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Host.Dev;
using Sluice.Testing;
using Sluice.Testing.SignIn;
using Sluice.Dashboard.Tests.SignIn;

namespace Sluice.Dashboard.Tests.Members;

/// <summary>
/// Members through real sign-ins (the OpenIddict provider on loopback, Sluice's local host, Azurite): invitations
/// accepted with a verified email, the account page acting as the member, and sign-ins that must not reach the
/// account: a removed member, a suspended account, a role below the page's.
/// </summary>
public sealed partial class MemberSignInTests
{
    [Fact]
    public async Task AnInvitedPerson_SigningInWithTheInvitedVerifiedEmail_Accepts_AndActsAsTheMember()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner) = await OwnerKeyCallerAsync(sluice);
        var (invitation, error) = await Lifecycle(sluice).InviteAsync(owner, TestIdentityProvider.Alice.Email.ToUpperInvariant(), "admin", CancellationToken.None);
        Assert.Null(error);
        using var alice = new DashboardBrowser(sluice.BaseAddress);

        var home = await alice.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);
        Assert.Contains($"Account {account.Id} invites you as admin.", home.Last.Body, StringComparison.Ordinal);
        var accepted = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/invitations/{invitation!.Id}/accept", [home.Last.Csrf()]);

        Assert.Equal(HttpStatusCode.OK, accepted.Last.Status);
        Assert.Equal($"/dashboard/accounts/{account.Id}", accepted.Last.Url.AbsolutePath);
        Assert.Contains("<dd>admin</dd>", accepted.Last.Body, StringComparison.Ordinal);
        var member = Assert.Single(await ListAsync(sluice.Services.GetRequiredService<MemberStore>().ListAsync(account.Id, CancellationToken.None)));
        Assert.Equal((KeyRole.Admin, "alice@example.com", "Alice Example"), (member.Role, member.Email, member.Name));
        // The audit log names the member (never the email) as the actor of joining.
        var audit = await ListAsync(sluice.Services.GetRequiredService<AuditLog>().QueryAsync(account.Id, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, CancellationToken.None));
        var joined = Assert.Single(audit, e => e.Action == "member.joined");
        Assert.Equal(member.Id, joined.Actor);
        Assert.DoesNotContain(audit, e => (e.Details ?? "").Contains("alice@", StringComparison.OrdinalIgnoreCase));
        // The invitation is used up: a second accept finds nothing.
        var again = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/invitations/{invitation.Id}/accept", [accepted.Last.Csrf()]);
        Assert.Equal(HttpStatusCode.NotFound, again.Last.Status);

        // As an Admin member, the Team page lists the member and invites through the same rules.
        var team = await alice.GetAsync($"/dashboard/accounts/{account.Id}/team");
        Assert.Equal(HttpStatusCode.OK, team.Last.Status);
        Assert.Contains("Alice Example (you)", team.Last.Body, StringComparison.Ordinal);
        var tooHigh = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/team/invite",
            [team.Last.Csrf(), new("email", "bob@example.com"), new("role", "owner")]);
        Assert.Equal(HttpStatusCode.Forbidden, tooHigh.Last.Status);
        Assert.Contains("You cannot grant a role higher than your own.", tooHigh.Last.Body, StringComparison.Ordinal);
        var invited = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/team/invite",
            [team.Last.Csrf(), new("email", "bob@example.com"), new("role", "developer")]);
        Assert.Equal(HttpStatusCode.OK, invited.Last.Status);
        Assert.Contains("bob@example.com as developer", invited.Last.Body, StringComparison.Ordinal);
        var withoutToken = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/team/invite", [new("email", "carol@example.com"), new("role", "developer")]);
        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.Last.Status);
        Assert.Single(await ListAsync(sluice.Services.GetRequiredService<MemberStore>().ListInvitationsAsync(account.Id, CancellationToken.None)));
    }

    [Fact]
    public async Task AnInvitation_IsNotShownOrAccepted_ForAnotherOrAnUnverifiedEmail()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner) = await OwnerKeyCallerAsync(sluice);
        var (forAlice, _) = await Lifecycle(sluice).InviteAsync(owner, TestIdentityProvider.Alice.Email, "owner", CancellationToken.None);
        var (forUnverified, _) = await Lifecycle(sluice).InviteAsync(owner, TestIdentityProvider.Unverified.Email, "owner", CancellationToken.None);
        using var bob = new DashboardBrowser(sluice.BaseAddress);
        var home = await bob.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Bob.Subject);
        Assert.DoesNotContain(account.Id, home.Last.Body, StringComparison.Ordinal);

        var stolen = await bob.PostFormAsync($"/dashboard/accounts/{account.Id}/invitations/{forAlice!.Id}/accept", [home.Last.Csrf()]);
        Assert.Equal(HttpStatusCode.NotFound, stolen.Last.Status);
        Assert.Empty(await ListAsync(sluice.Services.GetRequiredService<MemberStore>().ListAsync(account.Id, CancellationToken.None)));
        Assert.NotNull(forUnverified);
    }

    [Fact]
    public async Task ARemovedMember_SignsIn_ButNoLongerReachesTheAccount()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner) = await OwnerKeyCallerAsync(sluice);
        using var alice = new DashboardBrowser(sluice.BaseAddress);
        await JoinAsync(sluice, alice, owner, TestIdentityProvider.Alice, "developer");
        var member = Assert.Single(await ListAsync(sluice.Services.GetRequiredService<MemberStore>().ListAsync(account.Id, CancellationToken.None)));

        Assert.Null(await Lifecycle(sluice).RemoveAsync(owner, member, CancellationToken.None));
        await alice.SignOutAsync();
        var home = await alice.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);

        Assert.Equal(HttpStatusCode.OK, home.Last.Status);
        Assert.Contains("You are not a member of any account yet.", home.Last.Body, StringComparison.Ordinal);
        var page = await alice.GetAsync($"/dashboard/accounts/{account.Id}");
        Assert.Equal(HttpStatusCode.NotFound, page.Last.Status);
        Assert.Contains("The account was not found.", page.Last.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMemberOfASuspendedAccount_SignsIn_AndIsToldTheAccountIsSuspended_WithNoDataShown()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner) = await OwnerKeyCallerAsync(sluice);
        using var alice = new DashboardBrowser(sluice.BaseAddress);
        await JoinAsync(sluice, alice, owner, TestIdentityProvider.Alice, "owner");
        var (_, suspendError) = await sluice.Services.GetRequiredService<AccountLifecycle>()
            .SuspendAsync(account.Id, SuspensionReasons.NonPayment, null, "operator", null, CancellationToken.None);
        Assert.Null(suspendError);

        await alice.SignOutAsync();
        await alice.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);
        foreach (var path in new[] { $"/dashboard/accounts/{account.Id}", $"/dashboard/accounts/{account.Id}/team" })
        {
            var page = await alice.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, page.Last.Status);
            Assert.Contains("This account is suspended", page.Last.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("Alice Example (you)", page.Last.Body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ADeveloperMember_OpensTheAccount_ButNotTheTeamPage_NorChangesIt()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner) = await OwnerKeyCallerAsync(sluice);
        using var carol = new DashboardBrowser(sluice.BaseAddress);
        var page = await JoinAsync(sluice, carol, owner, TestIdentityProvider.Carol, "developer");

        Assert.Equal(HttpStatusCode.OK, page.Last.Status);
        Assert.DoesNotContain("/team\"", page.Last.Body, StringComparison.Ordinal);
        var team = await carol.GetAsync($"/dashboard/accounts/{account.Id}/team");
        Assert.Equal(HttpStatusCode.Forbidden, team.Last.Status);
        var invite = await carol.PostFormAsync($"/dashboard/accounts/{account.Id}/team/invite",
            [page.Last.Csrf(), new("email", "bob@example.com"), new("role", "developer")]);
        Assert.Equal(HttpStatusCode.Forbidden, invite.Last.Status);
        Assert.Empty(await ListAsync(sluice.Services.GetRequiredService<MemberStore>().ListInvitationsAsync(account.Id, CancellationToken.None)));
    }

    [Fact]
    public async Task AnAccountBoundToAnEmailDomain_InvitesNobodyOutsideIt()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner) = await OwnerKeyCallerAsync(sluice);
        var (bound, _) = await sluice.Services.GetRequiredService<AccountLifecycle>()
            .SetMemberBoundaryAsync(account.Id, null, "example.com", owner.Actor, null, CancellationToken.None);
        owner = new Caller(bound!, owner.Key, null);

        var (outside, error) = await Lifecycle(sluice).InviteAsync(owner, "mallory@elsewhere.test", "developer", CancellationToken.None);
        var (inside, _) = await Lifecycle(sluice).InviteAsync(owner, "bob@Example.com", "developer", CancellationToken.None);

        Assert.Null(outside);
        Assert.Equal((403, "outside_member_boundary"), (error!.Status, error.Code));
        Assert.NotNull(inside);
    }

    /// <summary>Invites <paramref name="person"/> as the Owner key, signs them in and accepts; the account page.</summary>
    internal static async Task<DashboardBrowser.Page> JoinAsync(SluiceApplication sluice, DashboardBrowser browser, Caller owner, DevPerson person, string role)
    {
        var (invitation, error) = await Lifecycle(sluice).InviteAsync(owner, person.Email, role, CancellationToken.None);
        Assert.Null(error);
        var home = await browser.SignInAsync(TestIdentityProvider.Name, person.Subject);
        var page = await browser.PostFormAsync($"/dashboard/accounts/{owner.Account.Id}/invitations/{invitation!.Id}/accept", [home.Last.Csrf()]);
        Assert.Equal(HttpStatusCode.OK, page.Last.Status);
        return page;
    }

    private static MemberLifecycle Lifecycle(SluiceApplication sluice) => sluice.Services.GetRequiredService<MemberLifecycle>();

    /// <summary>A new account and its Owner key as a caller (the API's principal), who invites the first members.</summary>
    internal static async Task<(Account Account, Caller Owner)> OwnerKeyCallerAsync(SluiceApplication sluice)
    {
        var (account, ownerKey) = await sluice.CreateAccountAsync();
        var key = await sluice.Services.GetRequiredService<KeyStore>().FindByHashAsync(GatewayKey.Hash(ownerKey), CancellationToken.None);
        return (account, new Caller(account, key!, null));
    }

    internal static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }
        return list;
    }
}
