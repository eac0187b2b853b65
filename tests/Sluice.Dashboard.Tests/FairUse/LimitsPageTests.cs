using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Dashboard.Tests.Members;
using Sluice.Dashboard.Tests.SignIn;
using Sluice.FairUse;
using Sluice.Testing;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.FairUse;

/// <summary>
/// The Limits page through real sign-ins (the OpenIddict provider on loopback, Sluice's local host, Azurite): an Admin
/// member reads and sets the account's, a key's and a member's limits through the limits API's rules (role, values,
/// maximum, audit), every form needs its anti-forgery token, and a Developer member can neither see nor change them.
/// </summary>
public sealed class LimitsPageTests
{
    [Fact]
    public async Task AnAdminMember_SetsLimits_ThroughTheApisRules_AndADeveloperCannot()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync(new Dictionary<string, string?> { ["Sluice:FairUse:MaxRequestsPerMinute"] = "1000" });
        var (account, owner) = await MemberSignInTests.OwnerKeyCallerAsync(sluice);
        var path = $"/dashboard/accounts/{account.Id}/limits";
        using var alice = new DashboardBrowser(sluice.BaseAddress);
        using var bob = new DashboardBrowser(sluice.BaseAddress);
        await MemberSignInTests.JoinAsync(sluice, alice, owner, TestIdentityProvider.Alice, "admin");
        var bobsAccount = await MemberSignInTests.JoinAsync(sluice, bob, owner, TestIdentityProvider.Bob, "developer");
        var members = await MemberSignInTests.ListAsync(sluice.Services.GetRequiredService<MemberStore>().ListAsync(account.Id, CancellationToken.None));
        var (aliceId, bobId) = (members.Single(m => m.Subject == "alice").Id, members.Single(m => m.Subject == "bob").Id);

        var page = await alice.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.Last.Status);
        Assert.Contains($"Limits of account {account.Id}", page.Last.Body, StringComparison.Ordinal);
        Assert.Contains("Member Alice Example (you)", page.Last.Body, StringComparison.Ordinal);
        Assert.Contains($"action=\"{path}/{bobId}\"", page.Last.Body, StringComparison.Ordinal);
        Assert.Contains($"action=\"{path}/{owner.Key.Id}\"", page.Last.Body, StringComparison.Ordinal);

        var saved = await alice.PostFormAsync($"{path}/account", [page.Last.Csrf(), new("daily_budget_usd", "5"), new("requests_per_minute", "60"),
            new("monthly_budget_usd", ""), new("tokens_per_minute", "")]);
        Assert.Equal(HttpStatusCode.OK, saved.Last.Status);
        Assert.Contains("Saved.", saved.Last.Body, StringComparison.Ordinal);
        Assert.Contains("$5 a day, 60 requests a minute", saved.Last.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await alice.PostFormAsync($"{path}/{bobId}", [saved.Last.Csrf(), new("monthly_budget_usd", "20")])).Last.Status);
        Assert.Equal(HttpStatusCode.OK, (await alice.PostFormAsync($"{path}/{owner.Key.Id}", [saved.Last.Csrf(), new("tokens_per_minute", "5000")])).Last.Status);

        // The API's rules, in the page: a value above the deployment's maximum, one that is not a number, an unknown key.
        var above = await alice.PostFormAsync($"{path}/account", [saved.Last.Csrf(), new("requests_per_minute", "1001")]);
        Assert.Equal(HttpStatusCode.BadRequest, above.Last.Status);
        Assert.Contains("above this deployment&#x27;s maximum of 1000", above.Last.Body, StringComparison.Ordinal);
        var notANumber = await alice.PostFormAsync($"{path}/account", [saved.Last.Csrf(), new("daily_budget_usd", "five")]);
        Assert.Equal(HttpStatusCode.BadRequest, notANumber.Last.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.PostFormAsync($"{path}/key_0000000000000000", [saved.Last.Csrf(), new("tokens_per_minute", "1")])).Last.Status);
        // No anti-forgery token, nothing changed.
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.PostFormAsync($"{path}/account", [new("daily_budget_usd", "1")])).Last.Status);

        // A Developer member: no page, no change (with a valid token of their own).
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync(path)).Last.Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PostFormAsync($"{path}/{bobId}", [bobsAccount.Last.Csrf()])).Last.Status);
        Assert.DoesNotContain(">Limits<", bobsAccount.Last.Body, StringComparison.Ordinal);

        var stored = await sluice.Services.GetRequiredService<LimitStore>().ReadAsync(account.Id, CancellationToken.None);
        Assert.Equal(new Limits(5m, null, 60, null), stored[LimitSubject.Account(account.Id)]);
        Assert.Equal(new Limits(null, 20m, null, null), stored[new LimitSubject(LimitSubjectKind.Member, bobId)]);
        Assert.Equal(new Limits(null, null, null, 5000), stored[LimitSubject.Key(owner.Key.Id)]);
        var audit = await MemberSignInTests.ListAsync(sluice.Services.GetRequiredService<AuditLog>()
            .QueryAsync(account.Id, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, CancellationToken.None));
        var changes = audit.Where(e => e.Action == LimitHandlers.AuditAction).ToList();
        Assert.Equal(3, changes.Count);
        Assert.All(changes, c => Assert.Equal(aliceId, c.Actor));
        Assert.Contains(changes, c => c.Target == bobId && c.Details == "member: none -> monthly_budget_usd=20");
    }
}
