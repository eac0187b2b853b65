using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Payloads;
using Sluice.Retention;
using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Retention;

/// <summary><c>DELETE /v1/account/content</c>: withdrawing consent erases every stored payload now (data keys first),
/// keeps the metadata rows with their references cleared, and leaves nothing readable behind.</summary>
public sealed class ErasureTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<(Account Account, string Key, List<string> RequestIds)> StoredAsync(SluiceApplication app, int requests)
    {
        var (account, key) = await app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(app, key, """{"content_mode":"retain_all","content_retention_days":10}""")).Status);
        var ids = new List<string>();
        for (var i = 0; i < requests; i++)
        {
            ids.Add((await Gateway.ChatAsync(app, key, Gateway.ChatBody("mock", "prompt " + i, stream: i % 2 == 0))).RequestId!);
        }
        await UsageRows.ForAccountAsync(app, account.Id, requests);
        return (account, key, ids);
    }

    [Fact]
    public async Task ErasingTheAccountsContent_DestroysItsKeys_DeletesItsBlobs_ClearsTheRows_AndLeavesNoReadableCopy()
    {
        var (account, key, ids) = await StoredAsync(_app, 3);
        var (other, otherKey, otherIds) = await StoredAsync(_app, 1);
        var copy = (await _app.Storage.Payloads.GetBlobClient(PayloadStore.BlobName(account.Id, Parse(ids[0]))).DownloadContentAsync()).Value.Content;

        var answer = await Gateway.SendAsync(_app, key, HttpMethod.Delete, "v1/account/content");

        Assert.Equal(200, answer.Status);
        Assert.Equal(1, answer.Json.GetProperty("data_keys_destroyed").GetInt32());
        Assert.Equal(3, answer.Json.GetProperty("blobs_deleted").GetInt32());
        Assert.False(answer.Json.GetProperty("remaining").GetBoolean());
        Assert.Empty(await BlobsAsync(account.Id));
        var rows = await UsageRows.ForAccountAsync(_app, account.Id, 3);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.True(string.IsNullOrEmpty(r.GetString("ContentBlob"))));
        await foreach (var e in _app.Storage.DataKeys.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {account.Id}")))
        {
            Assert.Null(e.GetBinary("WrappedKey"));
        }
        // A copy that survived somewhere (a backup, a replica) can no longer be decrypted by anyone.
        await _app.Storage.Payloads.GetBlobClient(PayloadStore.BlobName(account.Id, Parse(ids[0]))).UploadAsync(copy);
        var (plaintext, failure) = await _app.Services.GetRequiredService<PayloadStore>().ReadAsync(account.Id, Parse(ids[0]), CancellationToken.None);
        Assert.Null(plaintext);
        Assert.Equal(PayloadFailure.DataKeyDestroyed, failure);
        Assert.Equal("erased", (await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/requests/" + ids[0])).Json.GetProperty("content_status").GetString());
        // Another account's content is untouched; and the account can opt in again, under a new key.
        Assert.Equal("stored", (await Gateway.SendAsync(_app, otherKey, HttpMethod.Get, "v1/requests/" + otherIds[0])).Json.GetProperty("content_status").GetString());
        var again = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "after"));
        await UsageRows.ForAccountAsync(_app, account.Id, 4);
        Assert.Equal("stored", (await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/requests/" + again.RequestId)).Json.GetProperty("content_status").GetString());
        _ = other;
    }

    [Fact]
    public async Task AnErasureLargerThanTheBudget_Answers202_AndThePurgeFinishesIt()
    {
        await using var app = await SluiceApplication.StartAsync(new Dictionary<string, string?>
        {
            ["Sluice:Retention:MaxDeletesPerRun"] = "2",
            ["Sluice:Retention:PurgeBatchSize"] = "1",
        });
        var (account, key, ids) = await StoredAsync(app, 5);

        var answer = await Gateway.SendAsync(app, key, HttpMethod.Delete, "v1/account/content");

        Assert.Equal(202, answer.Status);
        Assert.True(answer.Json.GetProperty("remaining").GetBoolean());
        // Unreadable at once, whatever is left to delete.
        foreach (var id in ids)
        {
            Assert.Contains((await Gateway.SendAsync(app, key, HttpMethod.Get, "v1/requests/" + id)).Json.GetProperty("content_status").GetString(),
                (string[])["erased", "not_stored"]);
        }
        for (var i = 0; i < 10 && (await BlobsAsync(account.Id, app)).Count > 0; i++)
        {
            await app.Services.GetRequiredService<PurgeEngine>().RunAsync(CancellationToken.None);
        }
        Assert.Empty(await BlobsAsync(account.Id, app));
        Assert.All(await UsageRows.ForAccountAsync(app, account.Id, 5), r => Assert.True(string.IsNullOrEmpty(r.GetString("ContentBlob"))));
    }

    [Fact]
    public async Task UnderALegalHold_ErasureIsRefusedWith409()
    {
        var (account, key, ids) = await StoredAsync(_app, 1);
        var store = _app.Services.GetRequiredService<AccountStore>();
        var current = await store.GetAsync(account.Id, CancellationToken.None);
        await store.TryUpdateAsync(current! with { LegalHold = new LegalHold("litigation", DateTimeOffset.UtcNow) }, CancellationToken.None);

        Assert.Equal(409, (await Gateway.SendAsync(_app, key, HttpMethod.Delete, "v1/account/content")).Status);
        Assert.Equal(409, (await Gateway.SendAsync(_app, key, HttpMethod.Delete, "v1/requests/" + ids[0])).Status);
        Assert.Single(await BlobsAsync(account.Id));
    }

    private static RequestId Parse(string id) => RequestId.TryParse(id, out var parsed) ? parsed : throw new FormatException();

    private async Task<List<string>> BlobsAsync(string accountId, SluiceApplication? app = null)
    {
        var names = new List<string>();
        await foreach (var blob in (app ?? _app).Storage.Payloads.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None,
            Azure.Storage.Blobs.Models.BlobStates.None, accountId + "/", default))
        {
            names.Add(blob.Name);
        }
        return names;
    }
}
