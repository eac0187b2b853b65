using Sluice.Testing;
using System.Net;
using Sluice.Accounts;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.Records;

/// <summary>
/// The Usage, Keys and Audit log pages answer each role as the API answers a key of that role: the same reads
/// allowed and refused (<c>GET /v1/usage</c>, <c>/v1/keys</c>, <c>/v1/audit</c>), the same creation allowed and
/// refused (<c>POST /v1/keys</c>), and the account's menu links only to what the member may open.
/// </summary>
public sealed class RecordsRoleTests
{
    [Fact]
    public async Task EachRole_GetsFromTheUsageKeysAndAuditPages_WhatTheApiGivesAKeyOfThatRole()
    {
        await using var s = await RecordsScenario.StartAsync();
        var alice = await s.JoinAsync(TestIdentityProvider.Alice, "restricted");
        var lifecycle = s.Get<AccountLifecycle>();
        var pages = new[] { ("usage", "v1/usage"), ("usage/csv", "v1/usage"), ("keys", "v1/keys"), ("audit", "v1/audit"), ($"keys/{s.Owner.Key.Id}/revoke", "v1/keys") };
        var seen = new List<string>();

        foreach (var role in new[] { KeyRole.Restricted, KeyRole.Developer, KeyRole.Admin, KeyRole.Owner })
        {
            var wire = role.ToWire();
            var member = await s.MemberAsync(TestIdentityProvider.Alice);
            if (member.Role != role)
            {
                var (_, changeError) = await s.Get<MemberLifecycle>().ChangeRoleAsync(s.Owner, member, wire, CancellationToken.None);
                Assert.Null(changeError);
            }
            var (key, keyError) = await lifecycle.CreateKeyAsync(s.Account, new CreateKeyRequest(wire, wire, null, role == KeyRole.Restricted ? ["mock"] : null),
                null, "test", null, CancellationToken.None);
            Assert.Null(keyError);
            using var api = s.App.CreateHttpClient(key!.Key);
            var account = (await alice.GetAsync(s.AccountPath)).Last;

            foreach (var (page, endpoint) in pages)
            {
                var dashboard = (await alice.GetAsync($"{s.AccountPath}/{page}")).Last.Status;
                var answer = (await api.GetAsync(endpoint)).StatusCode;
                Assert.True(dashboard == answer, $"{wire}: {page} answered {dashboard}, {endpoint} {answer}");
                seen.Add($"{wire} {page} {(int)dashboard}");
            }
            var created = (await alice.PostFormAsync($"{s.AccountPath}/keys", [account.Csrf(), new("name", "by-" + wire), new("role", "restricted"), new("models", "mock")])).Last.Status;
            var apiCreated = (await api.PostAsync("v1/keys", new StringContent("""{"role":"restricted","allowed_models":["mock"]}""", System.Text.Encoding.UTF8, "application/json"))).StatusCode;
            Assert.True((int)created / 100 == (int)apiCreated / 100, $"{wire}: creating a key answered {created} on the page, {apiCreated} from the API");
            seen.Add($"{wire} create {(int)created / 100}xx");

            // The menu links to exactly the pages that open.
            var allowed = role >= KeyRole.Admin;
            Assert.Equal(allowed, account.Body.Contains($"href=\"{s.AccountPath}/usage\"", StringComparison.Ordinal));
            Assert.Equal(allowed, account.Body.Contains($"href=\"{s.AccountPath}/keys\"", StringComparison.Ordinal));
            Assert.Equal(allowed, account.Body.Contains($"href=\"{s.AccountPath}/audit\"", StringComparison.Ordinal));
        }

        // Both refuse Restricted and Developer and serve Admin and Owner.
        Assert.Contains("restricted keys 403", seen);
        Assert.Contains("developer usage 403", seen);
        Assert.Contains("developer create 4xx", seen);
        Assert.Contains("admin audit 200", seen);
        Assert.Contains("admin create 2xx", seen);
        Assert.Contains("owner usage/csv 200", seen);
    }

    [Fact]
    public async Task ARefusedMember_SeesTheRefusalPage_WithNoFigures()
    {
        await using var s = await RecordsScenario.StartAsync();
        await s.Get<Sluice.Usage.UsageMeter>().RecordAsync(s.Row(TimeProvider.System.GetUtcNow(), "mock-canary-model", 1, 1, 1));
        var carol = await s.JoinAsync(TestIdentityProvider.Carol, "developer");

        foreach (var page in new[] { "usage", "usage/csv", "keys", "audit" })
        {
            var answer = (await carol.GetAsync($"{s.AccountPath}/{page}")).Last;
            Assert.Equal(HttpStatusCode.Forbidden, answer.Status);
            Assert.StartsWith("text/html", answer.ContentType, StringComparison.Ordinal);
            Assert.Contains("This needs the admin role or higher; your role in this account is developer.", answer.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("mock-canary-model", answer.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(s.Owner.Key.Id, answer.Body, StringComparison.Ordinal);
        }
    }
}
