using Sluice.Testing;
using System.Net;
using System.Text.RegularExpressions;
using Sluice.Accounts;
using Sluice.Dashboard.Tests.Members;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.Records;

/// <summary>
/// The Keys page acting as the signed-in member through the key API's rules: the secret of a new key is in that one
/// response and nowhere else (not the list, not a later page, not a log line, not the audit log), a member grants no
/// role above their own and revokes no key above it, the last Owner key stays, and every change needs the page's
/// anti-forgery token (and, to revoke, the key's id as confirmation).
/// </summary>
public sealed partial class KeysPageTests
{
    [Fact]
    public async Task ANewKeysSecret_IsShownOnce_InTheCreateResponse_AndNeverAgain_NorLoggedOrAudited()
    {
        await using var s = await RecordsScenario.StartAsync();
        var alice = await s.JoinAsync(TestIdentityProvider.Alice, "admin");
        var keysPage = (await alice.GetAsync($"{s.AccountPath}/keys")).Last;
        Assert.Equal(HttpStatusCode.OK, keysPage.Status);

        var created = (await alice.PostFormAsync($"{s.AccountPath}/keys",
            [keysPage.Csrf(), new("name", "ci pipeline"), new("role", "restricted"), new("models", "mock, gpt-4o\nmock")])).Last;

        Assert.Equal(HttpStatusCode.OK, created.Status);
        Assert.Equal("no-store", created.Headers["Cache-Control"]);
        var secret = Assert.Single(SecretField().Matches(created.Body)).Groups["secret"].Value;
        Assert.Equal(1, Regex.Count(created.Body, Regex.Escape(secret)));
        var key = await s.Get<KeyStore>().FindByHashAsync(GatewayKey.Hash(secret), CancellationToken.None);
        Assert.NotNull(key);
        Assert.Equal((s.Account.Id, KeyRole.Restricted, "ci pipeline"), (key.AccountId, key.Role, key.Name));
        Assert.Equal(["mock", "gpt-4o"], key.AllowedModels);
        // The list beside it shows the key by its last four characters only.
        Assert.EndsWith(secret[^4..], key.Hint, StringComparison.Ordinal);
        Assert.Contains($"<code>{key.Hint}</code>", WebUtility.HtmlDecode(created.Body), StringComparison.Ordinal);
        Assert.Contains("<td>mock, gpt-4o</td>", created.Body, StringComparison.Ordinal);

        // Never again: not on the next page, not in any log line, not in the audit log, which names the member.
        var later = (await alice.GetAsync($"{s.AccountPath}/keys")).Last;
        Assert.DoesNotContain(secret, later.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[^12..], later.Body, StringComparison.Ordinal);
        Assert.Contains($"<code>{key.Hint}</code>", WebUtility.HtmlDecode(later.Body), StringComparison.Ordinal);
        Assert.DoesNotContain(s.App.Logs.Lines, l => l.Contains(secret[^12..], StringComparison.Ordinal));
        var audit = await MemberSignInTests.ListAsync(s.Get<AuditLog>().QueryAsync(s.Account.Id, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, CancellationToken.None));
        var entry = Assert.Single(audit, e => e.Action == "key.created" && e.Target == key.Id);
        Assert.Equal((await s.MemberAsync(TestIdentityProvider.Alice)).Id, entry.Actor);
        Assert.DoesNotContain(audit, e => $"{e.Details}{e.Target}".Contains(secret[^12..], StringComparison.Ordinal));

        // The key works, for its models only.
        using var client = s.App.CreateHttpClient(secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("v1/models/mock")).StatusCode);
    }

    [Fact]
    public async Task AMember_GrantsNoRoleAboveTheirOwn_AndARestrictedKeyNeedsModels_AndNothingIsCreatedWithoutTheFormsToken()
    {
        await using var s = await RecordsScenario.StartAsync();
        var alice = await s.JoinAsync(TestIdentityProvider.Alice, "admin");
        var page = (await alice.GetAsync($"{s.AccountPath}/keys")).Last;
        // The form offers no role above the member's own.
        Assert.DoesNotContain("<option value=\"owner\"", page.Body, StringComparison.Ordinal);
        Assert.Contains("<option value=\"admin\"", page.Body, StringComparison.Ordinal);

        var owner = (await alice.PostFormAsync($"{s.AccountPath}/keys", [page.Csrf(), new("name", "x"), new("role", "owner")])).Last;
        var noModels = (await alice.PostFormAsync($"{s.AccountPath}/keys", [page.Csrf(), new("name", "x"), new("role", "restricted"), new("models", " , \n")])).Last;
        var noToken = (await alice.PostFormAsync($"{s.AccountPath}/keys", [new("name", "x"), new("role", "developer")])).Last;

        Assert.Equal(HttpStatusCode.Forbidden, owner.Status);
        Assert.Contains("A key cannot grant a role higher than its own.", owner.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noModels.Status);
        Assert.Contains("A restricted key needs &#x27;allowed_models&#x27;", noModels.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noToken.Status);
        Assert.Contains("This form expired or did not come from this site", noToken.Body, StringComparison.Ordinal);
        var keys = await MemberSignInTests.ListAsync(s.Get<KeyStore>().ListAsync(s.Account.Id, CancellationToken.None));
        Assert.Single(keys);
        Assert.DoesNotContain("class=\"secret-value\"", owner.Body + noModels.Body + noToken.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokingAKey_AsksForConfirmation_NeedsTheToken_ThenRefusesTheKey_AndAuditsTheMember()
    {
        await using var s = await RecordsScenario.StartAsync();
        var (created, _) = await s.Get<AccountLifecycle>().CreateKeyAsync(s.Account, new CreateKeyRequest("worker", "developer", null, null),
            null, "test", null, CancellationToken.None);
        var alice = await s.JoinAsync(TestIdentityProvider.Alice, "admin");
        var list = (await alice.GetAsync($"{s.AccountPath}/keys")).Last;
        var revokePath = $"{s.AccountPath}/keys/{created!.Id}/revoke";
        Assert.Contains($"href=\"{revokePath}\"", list.Body, StringComparison.Ordinal);

        var confirm = (await alice.GetAsync(revokePath)).Last;
        Assert.Equal(HttpStatusCode.OK, confirm.Status);
        Assert.Contains("Revoke key “worker”?", WebUtility.HtmlDecode(confirm.Body), StringComparison.Ordinal);
        var withoutToken = (await alice.PostFormAsync(revokePath, [new("confirm", created.Id)])).Last;
        var withoutConfirm = (await alice.PostFormAsync(revokePath, [confirm.Csrf()])).Last;
        var otherConfirm = (await alice.PostFormAsync(revokePath, [confirm.Csrf(), new("confirm", s.Owner.Key.Id)])).Last;
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (withoutToken.Status, withoutConfirm.Status, otherConfirm.Status));
        Assert.Null((await s.Get<KeyStore>().GetAsync(s.Account.Id, created.Id, CancellationToken.None))!.RevokedAt);
        using var client = s.App.CreateHttpClient(created.Key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("v1/models")).StatusCode);

        var revoked = await alice.PostFormAsync(revokePath, [confirm.Csrf(), new("confirm", created.Id)]);

        Assert.Equal(HttpStatusCode.Redirect, revoked.Steps[0].Status);
        Assert.Equal(HttpStatusCode.OK, revoked.Last.Status);
        Assert.Contains("The key is revoked", revoked.Last.Body, StringComparison.Ordinal);
        Assert.Contains("Revoked ", revoked.Last.Body, StringComparison.Ordinal);
        Assert.DoesNotContain($"href=\"{revokePath}\"", revoked.Last.Body, StringComparison.Ordinal);
        Assert.NotNull((await s.Get<KeyStore>().GetAsync(s.Account.Id, created.Id, CancellationToken.None))!.RevokedAt);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("v1/models")).StatusCode);
        var audit = await MemberSignInTests.ListAsync(s.Get<AuditLog>().QueryAsync(s.Account.Id, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, CancellationToken.None));
        Assert.Equal((await s.MemberAsync(TestIdentityProvider.Alice)).Id, Assert.Single(audit, e => e.Action == "key.revoked").Actor);

        // Again: the key API's answer, as a page.
        var again = (await alice.PostFormAsync(revokePath, [confirm.Csrf(), new("confirm", created.Id)])).Last;
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Contains("This key is already revoked.", again.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdmin_CannotRevokeTheOwnerKey_ButAnOwnerMember_Can_TheMemberStayingTheAccountsOwner()
    {
        await using var s = await RecordsScenario.StartAsync();
        var alice = await s.JoinAsync(TestIdentityProvider.Alice, "admin");
        var list = (await alice.GetAsync($"{s.AccountPath}/keys")).Last;
        var revokeOwner = $"{s.AccountPath}/keys/{s.Owner.Key.Id}/revoke";
        // No revoke link for a key above the member's role, and the rule holds for a forged request too.
        Assert.DoesNotContain($"href=\"{revokeOwner}\"", list.Body, StringComparison.Ordinal);
        var byAdmin = (await alice.PostFormAsync(revokeOwner, [list.Csrf(), new("confirm", s.Owner.Key.Id)])).Last;
        Assert.Equal(HttpStatusCode.Forbidden, byAdmin.Status);

        // An Owner member may revoke the Owner key while the member itself is a usable Owner...
        var bob = await s.JoinAsync(TestIdentityProvider.Bob, "owner");
        var bobList = (await bob.GetAsync($"{s.AccountPath}/keys")).Last;
        Assert.Contains($"href=\"{revokeOwner}\"", bobList.Body, StringComparison.Ordinal);
        var byOwner = (await bob.PostFormAsync(revokeOwner, [bobList.Csrf(), new("confirm", s.Owner.Key.Id)])).Last;
        Assert.Equal(HttpStatusCode.OK, byOwner.Status);
        Assert.NotNull((await s.Get<KeyStore>().GetAsync(s.Account.Id, s.Owner.Key.Id, CancellationToken.None))!.RevokedAt);
    }

    [Fact]
    public async Task AClosedAccountsKeys_AreListed_ButNeitherCreatedNorRevoked()
    {
        await using var s = await RecordsScenario.StartAsync();
        var alice = await s.JoinAsync(TestIdentityProvider.Alice, "owner");
        var open = (await alice.GetAsync($"{s.AccountPath}/keys")).Last;
        var (_, closeError) = await s.Get<AccountLifecycle>().CloseAsync(s.Account.Id, "test", null, CancellationToken.None);
        Assert.Null(closeError);

        var closed = (await alice.GetAsync($"{s.AccountPath}/keys")).Last;
        var create = (await alice.PostFormAsync($"{s.AccountPath}/keys", [open.Csrf(), new("name", "late"), new("role", "developer")])).Last;
        var revoke = (await alice.PostFormAsync($"{s.AccountPath}/keys/{s.Owner.Key.Id}/revoke", [open.Csrf(), new("confirm", s.Owner.Key.Id)])).Last;

        Assert.Equal(HttpStatusCode.OK, closed.Status);
        Assert.Contains(s.Owner.Key.Id, closed.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Create key", closed.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("/revoke\"", closed.Body, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (create.Status, revoke.Status));
        Assert.Single(await MemberSignInTests.ListAsync(s.Get<KeyStore>().ListAsync(s.Account.Id, CancellationToken.None)), k => k.RevokedAt is null);
    }

    [GeneratedRegex("<input id=\"new-key-secret\" class=\"secret-value\" type=\"text\" readonly value=\"(?<secret>[^\"]+)\"")]
    private static partial Regex SecretField();
}
