using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>
/// Check-then-write invariants under many parallel calls through the real host on Azurite: two callers can never both
/// pass a check that only one of them may pass. Real clock, so the stored instants of competing writers differ and an
/// overwrite would show.
/// </summary>
public sealed class ConcurrentChangesTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task TwentyConcurrentRevocationsOfOneKey_OneIs200_TheRestAre409_OneAuditEntry_AndRevokedAtIsNotOverwritten()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        var (keyId, _) = await _app.CreateKeyAsync(account.Id, "developer");
        var clients = Enumerable.Range(0, 20).Select(_ => _app.CreateHttpClient(owner)).ToList();

        var responses = await Task.WhenAll(clients.Select(c => c.DeleteAsync($"v1/keys/{keyId}")));

        var winner = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var loser in responses.Where(r => r != winner))
        {
            Assert.Equal(HttpStatusCode.Conflict, loser.StatusCode);
            Assert.Equal("key_already_revoked", await loser.ErrorCodeAsync());
        }
        var revokedAt = (await winner.BodyAsync()).GetProperty("revoked_at").GetDateTimeOffset();
        var listed = (await (await _app.CreateHttpClient(owner).GetAsync("v1/keys")).BodyAsync()).GetProperty("data").EnumerateArray()
            .Single(k => k.GetProperty("id").GetString() == keyId);
        Assert.Equal(revokedAt, listed.GetProperty("revoked_at").GetDateTimeOffset());
        var entry = Assert.Single(await AuditAsync(owner, "key.revoked"), e => e.GetProperty("target").GetString() == keyId);
        Assert.Equal(1, Count(entry));
    }

    [Fact]
    public async Task TwoOwnerKeysRevokingOrDemotingEachOtherAtOnce_AlwaysLeaveAUsableOwner_AndExactlyOneWins()
    {
        // Thirty accounts with two Owner keys each; in half of them the two revoke each other, in the other half they
        // demote each other, all sixty requests at once.
        var pairs = new List<(string AccountId, (string Id, string Secret) A, (string Id, string Secret) B, bool Demote)>();
        for (var i = 0; i < 30; i++)
        {
            var (account, _) = await _app.CreateAccountAsync("pair " + i);
            pairs.Add((account.Id, await _app.CreateKeyAsync(account.Id, "owner"), await _app.CreateKeyAsync(account.Id, "owner"), i % 2 == 1));
        }
        // The creation Owner key is revoked first, so each account has exactly the two competing Owner keys.
        foreach (var (accountId, a, _, _) in pairs)
        {
            var creator = (await _app.Services.GetRequiredService<KeyStore>().ListAsync(accountId, CancellationToken.None).ToListAsync())
                .Single(k => k.Id != a.Id && k.Role == KeyRole.Owner && k.Name == "owner");
            Assert.Equal(HttpStatusCode.OK, (await _app.CreateHttpClient(a.Secret).DeleteAsync($"v1/keys/{creator.Id}")).StatusCode);
        }

        Task<HttpResponseMessage> Act(string secret, string targetId, bool demote) => demote
            ? _app.CreateHttpClient(secret).SendAsync(HttpMethod.Patch, $"v1/keys/{targetId}", """{"role":"admin"}""")
            : _app.CreateHttpClient(secret).DeleteAsync($"v1/keys/{targetId}");
        var attempts = pairs.Select(p => (p, AOnB: Act(p.A.Secret, p.B.Id, p.Demote), BOnA: Act(p.B.Secret, p.A.Id, p.Demote))).ToList();
        await Task.WhenAll(attempts.SelectMany(x => new[] { x.AOnB, x.BOnA }));

        var keys = _app.Services.GetRequiredService<KeyStore>();
        var withoutOwner = 0;
        foreach (var (p, _, _) in attempts)
        {
            var usableOwners = (await keys.ListAsync(p.AccountId, CancellationToken.None).ToListAsync())
                .Count(k => k.Role == KeyRole.Owner && k.IsUsableAt(DateTimeOffset.UtcNow));
            withoutOwner += usableOwners == 0 ? 1 : 0;
        }
        Assert.Equal(0, withoutOwner);
        foreach (var (_, aOnB, bOnA) in attempts)
        {
            var (first, second) = (await aOnB, await bOnA);
            Assert.Single(new[] { first, second }, r => r.StatusCode == HttpStatusCode.OK);
            // The loser is refused: the rule itself (409), or, when it arrived after the winner's change, its own key
            // no longer being an Owner (revoked: 401; demoted to Admin: 403).
            var loser = first.StatusCode == HttpStatusCode.OK ? second : first;
            var refusal = ((int)loser.StatusCode, await loser.ErrorCodeAsync());
            Assert.True(new (int, string?)[] { (409, "last_owner_key"), (401, "key_revoked"), (403, "insufficient_role") }.Contains(refusal), refusal.ToString());
        }
    }

    [Fact]
    public async Task TenConcurrentSuspensions_OneIs200_TheRestAre409_AndOneAuditEntry()
    {
        var (account, owner) = await _app.CreateAccountAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => _app.Operator().PostAsync(
            $"operator/accounts/{account.Id}/suspend", AccountApi.Json("""{"reason":"non_payment"}"""))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var loser in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            Assert.Equal(HttpStatusCode.Conflict, loser.StatusCode);
            Assert.Equal("account_already_suspended", await loser.ErrorCodeAsync());
        }
        await _app.OperatorAsync(account.Id, "reinstate");
        var entry = Assert.Single(await AuditAsync(owner, "account.suspended"));
        Assert.Equal(1, Count(entry));
    }

    [Fact]
    public async Task ConcurrentRetentionChanges_AreAppliedOneAfterAnother_EachSeeingThePreviousOne()
    {
        var (_, owner) = await _app.CreateAccountAsync();

        var responses = await Task.WhenAll(Enumerable.Range(30, 10).Select(days => _app.CreateHttpClient(owner).PutAsync("v1/account/retention",
            AccountApi.Json($$"""{"usage_retention_days":{{days}}}"""))));

        // Details read "usage_retention_days: 90 -> 30"; the chain starts at the default, 90 days.
        var last = await AssertOneChainAsync(responses, owner, "retention.changed", "90", details => details.Split(": ")[1]);
        var stored = (await (await _app.CreateHttpClient(owner).GetAsync("v1/account/retention")).BodyAsync()).GetProperty("usage_retention_days").GetInt32();
        Assert.Equal(stored.ToString(System.Globalization.CultureInfo.InvariantCulture), last);
    }

    [Fact]
    public async Task ConcurrentDataPolicyChanges_AreAppliedOneAfterAnother_EachSeeingThePreviousOne()
    {
        var (_, owner) = await _app.CreateAccountAsync();
        var policies = from inRegion in new[] { "false", "true" }
                       from zeroRetention in new[] { "false", "true" }
                       from training in new[] { "false", "true" }
                       select $$"""{"in_region_only":{{inRegion}},"zero_retention_only":{{zeroRetention}},"allow_training":{{training}}}""";

        var responses = await Task.WhenAll(policies.Select(p => _app.CreateHttpClient(owner).PutAsync("v1/account/data-policy", AccountApi.Json(p))));

        await AssertOneChainAsync(responses, owner, "data_policy.changed", "deployment default", details => details);
    }

    /// <summary>
    /// Each of the concurrent changes was applied (200) or gave up after its retries (409 <c>concurrent_update</c>), and
    /// the audited changes, each naming the value it replaced ("old -> new" in <paramref name="change"/> of the details),
    /// form one chain from <paramref name="initial"/> with one link per applied change: a change decided on a stale read
    /// would start a second branch. Returns where the chain ends.
    /// </summary>
    private async Task<string> AssertOneChainAsync(HttpResponseMessage[] responses, string owner, string action, string initial, Func<string, string> change)
    {
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("concurrent_update", await refused.ErrorCodeAsync());
        }
        var applied = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        Assert.True(applied > 0);
        var links = (await AuditAsync(owner, action))
            .Select(e => change(e.GetProperty("details").GetString()!).Split(" -> "))
            .ToDictionary(pair => pair[0], pair => pair[1]);
        var (at, steps) = (initial, 0);
        while (links.TryGetValue(at, out var next))
        {
            (at, steps) = (next, steps + 1);
        }
        Assert.Equal((applied, applied), (steps, links.Count));
        return at;
    }

    private async Task<List<JsonElement>> AuditAsync(string key, string action)
    {
        var response = await _app.CreateHttpClient(key).GetAsync("v1/audit");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.BodyAsync()).GetProperty("data").EnumerateArray().Where(e => e.GetProperty("action").GetString() == action)];
    }

    /// <summary>How many identical actions an entry stands for (1 when the log does not coalesce).</summary>
    private static int Count(JsonElement entry) => entry.TryGetProperty("count", out var count) ? count.GetInt32() : 1;
}
