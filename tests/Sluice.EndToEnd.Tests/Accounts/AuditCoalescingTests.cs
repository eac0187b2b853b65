using System.Net;
using System.Text.Json;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>
/// Repeating one action does not grow the audit log by one row per repeat: identical actions (same actor, action, target,
/// source and details) within one window are one entry with a count and the first and last time, while anything that
/// differs (who, what, the window) stays an entry of its own. The clock is a FakeTimeProvider at 10:00:00; the default
/// window is one minute.
/// </summary>
public sealed class AuditCoalescingTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync(time: AccountApi.Clock());

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task TwoHundredExports_AreOneEntry_WithTheirCountAndFirstAndLastTime_AndALaterWindowStartsAnother()
    {
        var t0 = _app.Time!.GetUtcNow();
        var (_, owner) = await _app.CreateAccountAsync();
        var ownerKeyId = await OwnerKeyIdAsync(owner);

        await RepeatAsync(100, () => _app.CreateHttpClient(owner).GetAsync("v1/account/export"));
        _app.Time.Advance(TimeSpan.FromSeconds(20));
        await RepeatAsync(100, () => _app.CreateHttpClient(owner).GetAsync("v1/account/export"));

        var entry = Assert.Single(await AuditAsync(owner, "data.exported"));
        Assert.Equal(200, entry.GetProperty("count").GetInt32());
        Assert.Equal(t0, entry.GetProperty("time").GetDateTimeOffset());
        Assert.Equal(t0.AddSeconds(20), entry.GetProperty("last_time").GetDateTimeOffset());
        Assert.Equal(ownerKeyId, entry.GetProperty("actor").GetString());
        Assert.Equal("127.0.0.1", entry.GetProperty("source_ip").GetString());

        _app.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, (await _app.CreateHttpClient(owner).GetAsync("v1/account/export")).StatusCode);
        var entries = await AuditAsync(owner, "data.exported");
        Assert.Equal([1, 200], entries.Select(e => e.GetProperty("count").GetInt32()));
        Assert.Equal(t0.AddSeconds(140), entries[0].GetProperty("time").GetDateTimeOffset());
    }

    [Fact]
    public async Task RepeatedErasuresAndRetentionToggles_AreOneEntryPerDistinctChange_AndActorsAreNeverMerged()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        var (adminId, admin) = await _app.CreateKeyAsync(account.Id, "admin");
        var ownerKeyId = await OwnerKeyIdAsync(owner);

        await RepeatAsync(100, () => _app.CreateHttpClient(owner).DeleteAsync("v1/account/content"));
        for (var i = 0; i < 50; i++)
        {
            foreach (var mode in (string[])["retain_all", "metadata_only"])
            {
                var toggle = await _app.CreateHttpClient(owner).PutAsync("v1/account/retention", AccountApi.Json($$"""{"content_mode":"{{mode}}"}"""));
                Assert.Equal(HttpStatusCode.OK, toggle.StatusCode);
            }
        }
        foreach (var key in new[] { owner, admin })
        {
            Assert.Equal(HttpStatusCode.OK, (await _app.CreateHttpClient(key).GetAsync("v1/account/export")).StatusCode);
        }

        Assert.Equal(100, Assert.Single(await AuditAsync(owner, "content.erased")).GetProperty("count").GetInt32());
        var toggles = await AuditAsync(owner, "retention.changed");
        Assert.Equal(2, toggles.Count);
        Assert.All(toggles, t => Assert.Equal(50, t.GetProperty("count").GetInt32()));
        Assert.Equal(["content_mode: metadata_only -> retain_all", "content_mode: retain_all -> metadata_only"],
            toggles.Select(t => t.GetProperty("details").GetString()).Order());
        var exports = await AuditAsync(owner, "data.exported");
        Assert.Equal(new[] { adminId, ownerKeyId }.Order(), exports.Select(e => e.GetProperty("actor").GetString()).Order());
        Assert.All(exports, e => Assert.Equal(1, e.GetProperty("count").GetInt32()));
    }

    [Fact]
    public async Task RepeatsOnTwoInstancesAtOnce_AreAllCounted_InOneEntry()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        // A second instance of the app on the same tables, as two Functions instances are.
        await using var second = await SluiceApplication.StartAsync(new Dictionary<string, string?> { ["Sluice:Storage:TablePrefix"] = _app.Name }, _app.Time);

        await Task.WhenAll(
            RepeatAsync(60, () => _app.CreateHttpClient(owner).DeleteAsync("v1/account/content")),
            RepeatAsync(60, () => second.CreateHttpClient(owner).DeleteAsync("v1/account/content")));

        Assert.Equal(120, Assert.Single(await AuditAsync(owner, "content.erased")).GetProperty("count").GetInt32());
        // Stored: at most one row per instance.
        var rows = 0;
        await foreach (var _ in _app.Storage.Audit.QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == account.Id && e.GetString("Action") == "content.erased"))
        {
            rows++;
        }
        Assert.InRange(rows, 1, 2);
    }

    /// <summary>Sends <paramref name="count"/> requests, ten at a time, each of which must succeed.</summary>
    private static async Task RepeatAsync(int count, Func<Task<HttpResponseMessage>> send)
    {
        using var gate = new SemaphoreSlim(10);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await send();
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                await response.Content.ReadAsStringAsync();
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    private async Task<string> OwnerKeyIdAsync(string owner) =>
        (await (await _app.CreateHttpClient(owner).GetAsync("v1/keys")).BodyAsync()).GetProperty("data").EnumerateArray()
            .Single(k => k.GetProperty("role").GetString() == "owner").GetProperty("id").GetString()!;

    private async Task<List<JsonElement>> AuditAsync(string key, string action)
    {
        var response = await _app.CreateHttpClient(key).GetAsync("v1/audit?limit=5000");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.BodyAsync()).GetProperty("data").EnumerateArray().Where(e => e.GetProperty("action").GetString() == action)];
    }
}
