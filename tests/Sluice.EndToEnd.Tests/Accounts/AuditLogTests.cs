using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Sluice.Accounts;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>Every account event lands in the audit log with actor, action, target, source address and the injected
/// clock's time, never a key; <c>GET /v1/audit</c> serves the account's own entries to its Owner and Admins.</summary>
public sealed class AuditLogTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync(time: AccountApi.Clock());

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task EveryEvent_IsRecorded_WithActorTargetSourceAndTime_AndNoKeyMaterial()
    {
        var day0 = _app.Time!.GetUtcNow();
        var (account, owner) = await _app.CreateAccountAsync();
        var ownerClient = _app.CreateHttpClient(owner);
        var ownerKeyId = (await (await ownerClient.GetAsync("v1/keys")).BodyAsync()).GetProperty("data")[0].GetProperty("id").GetString()!;
        var secrets = new List<string> { owner };

        // Keys: created by the Owner, role changed, revoked, then used anyway.
        var created = await (await ownerClient.PostAsync("v1/keys", AccountApi.Json("""{"role":"developer"}"""))).BodyAsync();
        var devId = created.GetProperty("id").GetString()!;
        var dev = created.GetProperty("key").GetString()!;
        secrets.Add(dev);
        Assert.Equal(HttpStatusCode.Forbidden, (await _app.CreateHttpClient(dev).GetAsync("v1/account")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ownerClient.SendAsync(HttpMethod.Patch, $"v1/keys/{devId}", """{"role":"restricted","allowed_models":["mock"]}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ownerClient.DeleteAsync($"v1/keys/{devId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.CreateHttpClient(dev).ChatAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ownerClient.SendAsync(HttpMethod.Put, "v1/account/ip-allowlist", """{"ip_allowlist":["127.0.0.1"]}""")).StatusCode);

        // The operator's transitions, each on a later day so the recorded times are distinguishable.
        _app.AdvanceDays(1);
        await _app.SuspendAsync(account.Id, "terms_violation");
        Assert.Equal(HttpStatusCode.Forbidden, (await ownerClient.ChatAsync()).StatusCode);
        _app.AdvanceDays(1);
        await _app.OperatorAsync(account.Id, "reinstate");
        await _app.OperatorAsync(account.Id, "legal-hold", """{"hold":true,"reason":"Litigation hold 7"}""");
        await _app.OperatorAsync(account.Id, "legal-hold", """{"hold":false,"reason":"Released by counsel"}""");
        _app.AdvanceDays(1);
        await _app.CloseAsync(account.Id, owner);
        _app.Time.Advance(TimeSpan.FromMinutes(5));
        await _app.OperatorAsync(account.Id, "reopen");

        var response = await ownerClient.GetAsync("v1/audit");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var entries = (await response.BodyAsync()).GetProperty("data").EnumerateArray().ToList();
        JsonElement Entry(string action, string? details = null) => Assert.Single(entries,
            e => e.GetProperty("action").GetString() == action && (details is null || e.GetProperty("details").GetString()!.Contains(details, StringComparison.Ordinal)));

        Assert.Equal("role=owner", Entry("key.created", "owner").GetProperty("details").GetString());
        var keyCreated = Entry("key.created", "developer");
        Assert.Equal((ownerKeyId, devId, "127.0.0.1"), (keyCreated.GetProperty("actor").GetString(), keyCreated.GetProperty("target").GetString(), keyCreated.GetProperty("source_ip").GetString()));
        Assert.Equal(day0, keyCreated.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("role=developer->restricted", Entry("key.role_changed").GetProperty("details").GetString());
        Assert.Equal(devId, Entry("key.revoked").GetProperty("target").GetString());
        var revokedUse = Entry("auth.failed", "key_revoked");
        Assert.Equal((devId, devId), (revokedUse.GetProperty("actor").GetString(), revokedUse.GetProperty("target").GetString()));
        Assert.Equal(devId, Entry("auth.failed", "insufficient_role").GetProperty("target").GetString());
        Entry("auth.failed", "account_suspended");
        Entry("ip_allowlist.changed", "127.0.0.1/32");
        var suspended = Entry("account.suspended", "reason=terms_violation");
        Assert.Equal("operator", suspended.GetProperty("actor").GetString());
        Assert.Equal(day0.AddDays(1), suspended.GetProperty("time").GetDateTimeOffset());
        Assert.Equal(day0.AddDays(2), Entry("account.reinstated").GetProperty("time").GetDateTimeOffset());
        Entry("legal_hold.placed", "Litigation hold 7");
        Entry("legal_hold.released", "Released by counsel");
        var closed = Entry("account.closed");
        Assert.Equal(ownerKeyId, closed.GetProperty("actor").GetString());
        Assert.Equal(day0.AddDays(3), closed.GetProperty("time").GetDateTimeOffset());
        Entry("account.reopened");
        // Newest first.
        Assert.Equal("account.reopened", entries[0].GetProperty("action").GetString());
        Assert.All(secrets, s => Assert.DoesNotContain(s, text, StringComparison.Ordinal));
        Assert.DoesNotContain("sk-sluice", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GraceExpiryAndPurge_AreRecorded_ThePurgeAtStampLevelWithItsTotals()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        await _app.SeedUsageAsync(account.Id, owner, count: 1);
        await _app.SuspendAsync(account.Id);
        _app.AdvanceDays(15);
        await _app.PurgeAsync();

        var expired = await AuditAsync(account.Id);
        var entry = Assert.Single(expired, e => e.GetString("Action") == "account.expired");
        Assert.Equal(AccountLifecycle.PurgeActor, entry.GetString("Actor"));
        Assert.Contains("reason=suspension_not_resolved", entry.GetString("Details"), StringComparison.Ordinal);

        _app.AdvanceDays(30);
        var run = await _app.PurgeAsync();
        Assert.Empty(await AuditAsync(account.Id));
        var proof = Assert.Single(await AuditAsync(AuditLog.StampPartition), e => e.GetString("Target") == account.Id);
        Assert.Equal("account.purged", proof.GetString("Action"));
        Assert.Equal(_app.Time!.GetUtcNow(), proof.GetDateTimeOffset("Time"));
        Assert.Matches(@"^data_keys=0, payload_blobs=0, usage_rows=\d+, rollups=\d+, keys=2, members=0, invitations=0, audit_entries=\d+; expired_at=", proof.GetString("Details"));
        Assert.EndsWith("run=" + run.RunId, proof.GetString("Details"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAudit_FiltersByTimeRange_Limits_AndRefusesBadBounds()
    {
        var day0 = _app.Time!.GetUtcNow();
        var (_, owner) = await _app.CreateAccountAsync();
        var client = _app.CreateHttpClient(owner);
        for (var day = 1; day <= 3; day++)
        {
            _app.AdvanceDays(1);
            await client.PostAsync("v1/keys", AccountApi.Json("""{"role":"developer"}"""));
        }

        async Task<List<string>> TimesAsync(string query) =>
            [.. (await (await client.GetAsync("v1/audit" + query)).BodyAsync()).GetProperty("data").EnumerateArray().Select(e => e.GetProperty("time").GetString()!)];

        Assert.Equal(5, (await TimesAsync("")).Count);
        Assert.Equal(2, (await TimesAsync($"?from={day0.AddDays(2):yyyy-MM-dd}")).Count);
        Assert.Equal(2, (await TimesAsync($"?to={day0:yyyy-MM-dd}T23:59:59Z")).Count);
        Assert.Single(await TimesAsync($"?from={day0.AddDays(2):yyyy-MM-dd}&to={day0.AddDays(2):yyyy-MM-dd}"));
        var limited = await (await client.GetAsync("v1/audit?limit=2")).BodyAsync();
        Assert.Equal(2, limited.GetProperty("data").GetArrayLength());
        Assert.True(limited.GetProperty("has_more").GetBoolean());

        foreach (var (query, param) in new[] { ("?from=yesterday", "from"), ("?to=2026-13-01", "to"), ("?from=2026-03-05&to=2026-03-01", "from"), ("?limit=0", "limit") })
        {
            var bad = await client.GetAsync("v1/audit" + query);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal(param, (await bad.BodyAsync()).GetProperty("error").GetProperty("param").GetString());
        }
    }

    private async Task<List<TableEntity>> AuditAsync(string partition)
    {
        var list = new List<TableEntity>();
        await foreach (var e in _app.Storage.Audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}")))
        {
            list.Add(e);
        }
        return list;
    }
}
