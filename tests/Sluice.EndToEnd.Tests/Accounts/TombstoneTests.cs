using System.Net;
using Azure.Data.Tables;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>What is left of a purged account is what docs/accounts.md promises and nothing else: id, region, dates (created,
/// suspended, expired, purge started, purged) and what was deleted; never the name, note, IP list or other settings.</summary>
public sealed class TombstoneTests : IAsyncLifetime
{
    private static readonly HashSet<string> s_storedProperties =
        ["PartitionKey", "RowKey", "Timestamp", "odata.etag", "State", "Region", "CreatedAt", "SuspendedAt", "ExpiredAt", "PurgeStartedAt", "PurgedAt", "PurgeCounts"];

    private static readonly HashSet<string> s_viewProperties =
        ["id", "region", "state", "created_at", "suspended_at", "expired_at", "purge_started_at", "purged_at", "purge_counts"];

    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync(time: AccountApi.Clock());

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task APurgedAccount_KeepsOnlyItsIdRegionDatesAndWhatWasDeleted()
    {
        var (account, owner) = await _app.CreateAccountAsync("Settings Galore");
        var client = _app.CreateHttpClient(owner);
        // Every setting the account can have, away from the defaults.
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("v1/account/retention",
            AccountApi.Json("""{"content_mode":"retain_all","content_retention_days":7,"usage_retention_days":60}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("v1/account/data-policy", AccountApi.Json("""{"allow_training":false}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("v1/account/ip-allowlist", AccountApi.Json("""{"ip_allowlist":["127.0.0.1"]}"""))).StatusCode);
        await _app.SuspendAsync(account.Id);
        await _app.OperatorAsync(account.Id, "reinstate");
        await _app.CloseAsync(account.Id, owner);
        _app.AdvanceDays(31);
        Assert.Equal(1, (await _app.PurgeAsync()).Counts["accounts_purged"]);

        var raw = (await _app.Storage.Accounts.GetEntityAsync<TableEntity>("account", account.Id)).Value;
        Assert.Equal([], raw.Keys.Except(s_storedProperties).Order());
        var view = await (await _app.Operator().GetAsync($"operator/accounts/{account.Id}")).BodyAsync();
        Assert.Equal("purged", view.GetProperty("state").GetString());
        Assert.Equal([], view.EnumerateObject().Select(p => p.Name).Except(s_viewProperties).Order());
    }
}
