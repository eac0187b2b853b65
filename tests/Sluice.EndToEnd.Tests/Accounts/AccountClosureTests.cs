using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Storage;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>Voluntary closure: expired at once, keys stop, data kept for the expired period (Owner can still read
/// it), then everything purged but a tombstone. Time is a FakeTimeProvider; the purge is the real engine on Azurite.</summary>
public sealed class AccountClosureTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync(time: AccountApi.Clock());

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Close_Day29StillThere_Day31Gone_OnlyTombstoneAndProofRemain()
    {
        var day0 = _app.Time!.GetUtcNow();
        var (account, owner) = await _app.CreateAccountAsync("Closure Co");
        var (bystander, bystanderOwner) = await _app.CreateAccountAsync("Bystander Ltd");
        var (_, developer) = await _app.CreateKeyAsync(account.Id, "developer");
        await _app.SeedUsageAsync(account.Id, developer, count: 3);
        await _app.SeedUsageAsync(bystander.Id, bystanderOwner, count: 2);
        await AccountFootprint.SeedStoredContentAsync(_app, owner);
        // The bystander keeps content longer than the test runs, so any loss of it would be the purge's doing.
        await AccountFootprint.SeedStoredContentAsync(_app, bystanderOwner, contentDays: 60);

        var closed = await _app.CloseAsync(account.Id, owner);
        Assert.Equal("expired", closed.GetProperty("state").GetString());
        Assert.Equal("closed_by_owner", closed.GetProperty("expiry_reason").GetString());
        Assert.Equal(day0.AddDays(30), closed.GetProperty("purge_after").GetDateTimeOffset());

        // Keys stop working at once, for every role and purpose but the Owner's/Admins' reads of their own data.
        var chat = await _app.CreateHttpClient(developer).ChatAsync();
        Assert.Equal(HttpStatusCode.Forbidden, chat.StatusCode);
        Assert.Equal("account_closed", await chat.ErrorCodeAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await _app.CreateHttpClient(owner).ChatAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _app.CreateHttpClient(owner).PostAsync("v1/keys", AccountApi.Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _app.CreateHttpClient(owner).GetAsync("v1/account")).StatusCode);

        // Day 1: yesterday's usage is rolled up; nothing is due yet.
        await AccountFootprint.MaterialiseAsync(_app);
        _app.AdvanceDays(28);
        var before = await AccountFootprint.ReadAsync(_app, account.Id);
        var day29 = await _app.PurgeAsync();
        Assert.Equal("completed", day29.Status);
        Assert.False(day29.Counts.ContainsKey("accounts_purged"));
        Assert.Equal(before, await AccountFootprint.ReadAsync(_app, account.Id));
        // Rollups: day 0's mock row and the account's materialisation watermark.
        Assert.True(before.UsageRows >= 3 && before.Rollups == 2 && before.KeyEntries == 4 && before.DataKeys == 1 && before.PayloadBlobs == 1 && before.AuditEntries > 0,
            before.ToString());
        var export = await _app.CreateHttpClient(owner).GetAsync("v1/account");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("expired", (await export.BodyAsync()).GetProperty("state").GetString());

        _app.AdvanceDays(2);
        var day31 = await _app.PurgeAsync();
        Assert.Equal("completed", day31.Status);
        Assert.Equal(1, day31.Counts["accounts_purged"]);
        Assert.Equal(new AccountFootprint(0, 0, 0, 0, 0, 0), await AccountFootprint.ReadAsync(_app, account.Id));
        Assert.Empty(await AccountFootprint.LeftoversAsync(_app, account.Id));

        // The tombstone: id, region, dates and totals; no name or other personal data.
        var tombstone = (await _app.StoredAccountAsync(account.Id))!;
        Assert.Equal(AccountState.Purged, tombstone.State);
        Assert.Null(tombstone.Name);
        Assert.Empty(tombstone.IpAllowlist);
        Assert.Equal(_app.Time.GetUtcNow(), tombstone.PurgedAt);
        Assert.Equal(day0, tombstone.ExpiredAt);
        Assert.Equal(before.UsageRows, tombstone.PurgeCounts["usage_rows"]);
        Assert.Equal(before.KeyEntries, tombstone.PurgeCounts["keys"]);
        var raw = (await _app.Storage.Accounts.GetEntityAsync<TableEntity>("account", account.Id)).Value;
        Assert.False(raw.ContainsKey("Name"));

        // The proof, at stamp level, survives the account's own audit partition.
        var proof = Assert.Single(await StampEntriesAsync(account.Id));
        Assert.Equal("account.purged", proof.GetString("Action"));
        Assert.Contains($"usage_rows={before.UsageRows}", proof.GetString("Details"));
        Assert.Contains($"run={day31.RunId}", proof.GetString("Details"));

        Assert.Equal("invalid_api_key", await (await _app.CreateHttpClient(owner).GetAsync("v1/account")).ErrorCodeAsync());

        // Nothing of the other account was touched.
        var bystanderNow = await AccountFootprint.ReadAsync(_app, bystander.Id);
        Assert.True(bystanderNow.UsageRows >= 2 && bystanderNow.Rollups == 2 && bystanderNow.DataKeys == 1 && bystanderNow.PayloadBlobs == 1, bystanderNow.ToString());
        Assert.Equal(HttpStatusCode.OK, (await _app.CreateHttpClient(bystanderOwner).ChatAsync()).StatusCode);

        // Idempotent: the next run finds nothing, and the tombstone is not rewritten.
        var again = await _app.PurgeAsync();
        Assert.Equal("completed", again.Status);
        Assert.False(again.Counts.ContainsKey("accounts_purged"));
        Assert.Equal(tombstone.ETag, (await _app.StoredAccountAsync(account.Id))!.ETag);
        Assert.Single(await StampEntriesAsync(account.Id));
    }

    [Fact]
    public async Task Close_NeedsTheOwnerAndTheAccountId_AndCannotHappenTwice()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        var (_, admin) = await _app.CreateKeyAsync(account.Id, "admin");
        var confirm = AccountApi.Json($$"""{"confirm":"{{account.Id}}"}""");

        var byAdmin = await _app.CreateHttpClient(admin).PostAsync("v1/account/close", confirm);
        Assert.Equal(HttpStatusCode.Forbidden, byAdmin.StatusCode);
        Assert.Equal("insufficient_role", await byAdmin.ErrorCodeAsync());

        var unconfirmed = await _app.CreateHttpClient(owner).PostAsync("v1/account/close", AccountApi.Json("""{"confirm":"yes"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, unconfirmed.StatusCode);
        Assert.Equal("confirm", (await unconfirmed.BodyAsync()).GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(AccountState.Active, (await _app.StoredAccountAsync(account.Id))!.State);

        await _app.CloseAsync(account.Id, owner);
        var twice = await _app.CreateHttpClient(owner).PostAsync("v1/account/close", confirm);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Equal("account_already_closed", await twice.ErrorCodeAsync());
    }

    [Fact]
    public async Task Reopen_WithinThePeriod_RestoresTheKeys_AfterItIsRefused_AndAPurgedAccountStaysPurged()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        await _app.CloseAsync(account.Id, owner);

        _app.AdvanceDays(10);
        var reopened = await _app.OperatorAsync(account.Id, "reopen");
        Assert.Equal("active", reopened.GetProperty("state").GetString());
        Assert.False(reopened.TryGetProperty("expired_at", out _));
        Assert.Equal(HttpStatusCode.OK, (await _app.CreateHttpClient(owner).ChatAsync()).StatusCode);
        await _app.OperatorAsync(account.Id, "reopen", expected: HttpStatusCode.Conflict);

        await _app.CloseAsync(account.Id, owner);
        _app.AdvanceDays(30);
        var late = await _app.Operator().PostAsync($"operator/accounts/{account.Id}/reopen", null);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("expired_period_ended", await late.ErrorCodeAsync());

        await _app.PurgeAsync();
        foreach (var action in new[] { "reopen", "reinstate" })
        {
            var refused = await _app.Operator().PostAsync($"operator/accounts/{account.Id}/{action}", null);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("account_purged", await refused.ErrorCodeAsync());
            Assert.Contains("purged", (await refused.BodyAsync()).GetProperty("error").GetProperty("message").GetString());
        }
        var suspend = await _app.Operator().PostAsync($"operator/accounts/{account.Id}/suspend", AccountApi.Json("""{"reason":"other"}"""));
        Assert.Equal(HttpStatusCode.Conflict, suspend.StatusCode);
    }

    private async Task<List<TableEntity>> StampEntriesAsync(string accountId)
    {
        var list = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {AuditLog.StampPartition} and Target eq {accountId}");
        await foreach (var e in _app.Services.GetRequiredService<Sluice.Storage.SluiceStorage>().Audit.QueryAsync<TableEntity>(filter))
        {
            list.Add(e);
        }
        return list;
    }
}
