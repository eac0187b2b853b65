using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sluice.Payloads;
using Sluice.Storage;
using Sluice.Testing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Core.Tests.Payloads;

/// <summary>Encrypted payloads against Azurite: what the storage service sees, and how every key problem fails closed.</summary>
public sealed class PayloadStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_day = new(2026, 3, 10, 9, 30, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(s_day);
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync(time: _time);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private T Get<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    internal static async Task<(UsageRecord Row, StoredContent? Stored)> WriteAsync(SluiceApplication app, string accountId, string prompt,
        string completion, int days, DateTimeOffset at, int? maxBytes = null)
    {
        var store = app.Services.GetRequiredService<PayloadStore>();
        var body = Encoding.UTF8.GetBytes($$"""{"model":"m","messages":[{"role":"user","content":"{{prompt}}"}]}""");
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(body.Length);
        body.CopyTo(rented, 0);
        Assert.True(ChatRequest.TryParse(rented, body.Length, out var request, out _));
        using (request)
        using (var capture = maxBytes is { } cap ? new PayloadCapture(cap, days) : store.StartCapture(days))
        {
            capture.Observe(Encoding.UTF8.GetBytes($$$"""{"choices":[{"message":{"role":"assistant","content":"{{{completion}}}"}}]}"""));
            var row = new UsageRecord { RequestId = RequestId.New(at), AccountId = accountId, KeyId = "key_0000000000000000", DataRegion = "us", Model = "m", Status = 200 };
            return (row, await store.WriteAsync(request!, capture, row, CancellationToken.None));
        }
    }

    [Fact]
    public async Task StoredBlob_IsCiphertextOnly_NamedByAccountDayAndRequest_TaggedForThePurgeAndTheLifecycleBackstop()
    {
        var (account, _) = await _app.CreateAccountAsync();
        var (row, stored) = await WriteAsync(_app, account.Id, "the secret prompt", "the secret answer", days: 10, s_day);

        Assert.NotNull(stored);
        Assert.Equal($"{account.Id}/2026-03-10/{row.RequestId.Value}", stored.BlobName);
        Assert.Equal("2026-03-20", stored.ExpiresOn);
        var blob = _app.Storage.Payloads.GetBlobClient(stored.BlobName);
        var raw = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(-1, raw.AsSpan().IndexOf("secret"u8));
        Assert.Equal(-1, raw.AsSpan().IndexOf("\"model\""u8));
        var tags = (await blob.GetTagsAsync()).Value.Tags;
        Assert.Equal(account.Id, tags["account"]);
        Assert.Equal("2026-03-10", tags["created"]);
        Assert.Equal("2026-03-20", tags["expires"]);
        Assert.Equal("30", tags["tier"]);
        Assert.StartsWith("dk_", tags["key"], StringComparison.Ordinal);
        // The data key is stored wrapped only: its row holds no 32-byte key in the clear.
        var keyRow = await _app.Storage.DataKeys.GetEntityAsync<TableEntity>(account.Id, tags["key"]);
        Assert.Equal(60, keyRow.Value.GetBinary("WrappedKey")!.Length);

        var (plaintext, failure) = await Get<PayloadStore>().ReadAsync(account.Id, row.RequestId, CancellationToken.None);
        using (plaintext)
        {
            Assert.Null(failure);
            var text = Encoding.UTF8.GetString(plaintext!.Json.Span);
            Assert.Contains("the secret prompt", text, StringComparison.Ordinal);
            Assert.Contains("the secret answer", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(1, "1")]
    [InlineData(7, "7")]
    [InlineData(8, "30")]
    [InlineData(365, "365")]
    public void Tier_IsTheSmallestLifecycleTierAtLeastTheContentPeriod(int days, string tier) =>
        Assert.Equal(tier, Get<PayloadStore>().TierFor(days));

    [Fact]
    public async Task OverTheCap_TheStoredCopyIsTruncatedAndMarkedSo()
    {
        var (account, _) = await _app.CreateAccountAsync();
        var (row, _) = await WriteAsync(_app, account.Id, new string('p', 3000), new string('c', 3000), days: 5, s_day, maxBytes: 1024);

        var (plaintext, _) = await Get<PayloadStore>().ReadAsync(account.Id, row.RequestId, CancellationToken.None);
        using (plaintext)
        {
            var doc = System.Text.Json.JsonDocument.Parse(plaintext!.Json).RootElement;
            Assert.True(doc.GetProperty("request_truncated").GetBoolean());
            Assert.True(doc.GetProperty("response_truncated").GetBoolean());
            Assert.Equal(1024, Encoding.UTF8.GetByteCount(doc.GetProperty("request").GetString()!));
            Assert.Equal(1024, Encoding.UTF8.GetByteCount(doc.GetProperty("response").GetString()!));
            Assert.True(doc.GetProperty("response_bytes").GetInt64() > 3000);
        }
    }

    [Fact]
    public async Task TamperedBlob_OrABlobCopiedToAnotherRequest_FailsClosed()
    {
        var (account, _) = await _app.CreateAccountAsync();
        var (row, stored) = await WriteAsync(_app, account.Id, "secret", "answer", days: 5, s_day);
        var (other, _) = await WriteAsync(_app, account.Id, "other", "answer", days: 5, s_day);
        var blob = _app.Storage.Payloads.GetBlobClient(stored!.BlobName);
        var raw = (await blob.DownloadContentAsync()).Value.Content.ToArray();

        raw[^5] ^= 0x20;
        await blob.UploadAsync(BinaryData.FromBytes(raw), overwrite: true);
        Assert.Equal(PayloadFailure.PayloadTampered, (await Get<PayloadStore>().ReadAsync(account.Id, row.RequestId, CancellationToken.None)).Failure);

        raw[^5] ^= 0x20;
        await _app.Storage.Payloads.GetBlobClient(PayloadStore.BlobName(account.Id, other.RequestId)).UploadAsync(BinaryData.FromBytes(raw), overwrite: true);
        Assert.Equal(PayloadFailure.PayloadTampered, (await Get<PayloadStore>().ReadAsync(account.Id, other.RequestId, CancellationToken.None)).Failure);
    }

    [Fact]
    public async Task ABlobCopiedIntoAnotherAccount_FailsClosed()
    {
        var (a, _) = await _app.CreateAccountAsync();
        var (b, _) = await _app.CreateAccountAsync();
        var (row, stored) = await WriteAsync(_app, a.Id, "secret", "answer", days: 5, s_day);
        await WriteAsync(_app, b.Id, "b's own", "answer", days: 5, s_day);
        var raw = (await _app.Storage.Payloads.GetBlobClient(stored!.BlobName).DownloadContentAsync()).Value.Content;

        await _app.Storage.Payloads.GetBlobClient(PayloadStore.BlobName(b.Id, row.RequestId)).UploadAsync(raw);

        var (plaintext, failure) = await Get<PayloadStore>().ReadAsync(b.Id, row.RequestId, CancellationToken.None);
        Assert.Null(plaintext);
        Assert.NotNull(failure);
    }

    [Fact]
    public async Task AnotherInstanceWithADifferentMasterKey_ReadsNothing_AndSaysWhy()
    {
        var (account, _) = await _app.CreateAccountAsync();
        var (row, _) = await WriteAsync(_app, account.Id, "secret", "answer", days: 5, s_day);
        await using var other = await SluiceApplication.StartAsync(SharedStorage.With(_app,
            ("Sluice:Payloads:MasterKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))), _time);

        var (plaintext, failure) = await other.Services.GetRequiredService<PayloadStore>().ReadAsync(account.Id, row.RequestId, CancellationToken.None);

        Assert.Null(plaintext);
        Assert.Equal(PayloadFailure.MasterKeyMismatch, failure);
        Assert.Contains("different master key", failure!.Value.ToApiError().Message, StringComparison.Ordinal);
        // New content there is encrypted under a new data key of its own master key, and readable there.
        var (next, stored) = await WriteAsync(other, account.Id, "new", "answer", days: 5, s_day);
        Assert.NotNull(stored);
        using var read = (await other.Services.GetRequiredService<PayloadStore>().ReadAsync(account.Id, next.RequestId, CancellationToken.None)).Plaintext;
        Assert.NotNull(read);
    }

    [Fact]
    public async Task WithoutAMasterKey_NothingIsWritten_AndStoredContentFailsClosed()
    {
        var (account, _) = await _app.CreateAccountAsync();
        var (row, _) = await WriteAsync(_app, account.Id, "secret", "answer", days: 5, s_day);
        await using var keyless = await SluiceApplication.StartAsync(SharedStorage.With(_app, ("Sluice:Payloads:MasterKey", "")), _time);
        var store = keyless.Services.GetRequiredService<PayloadStore>();

        var (unwritten, stored) = await WriteAsync(keyless, account.Id, "secret2", "answer", days: 5, s_day);
        var (plaintext, failure) = await store.ReadAsync(account.Id, row.RequestId, CancellationToken.None);

        Assert.Null(stored);
        Assert.False(await _app.Storage.Payloads.GetBlobClient(PayloadStore.BlobName(account.Id, unwritten.RequestId)).ExistsAsync());
        Assert.Contains(keyless.Logs.Lines, l => l.Contains("was not stored (master_key_missing)", StringComparison.Ordinal));
        Assert.Null(plaintext);
        Assert.Equal(PayloadFailure.MasterKeyMissing, failure);
        Assert.Equal(503, failure!.Value.ToApiError().Status);
    }

    [Fact]
    public async Task AnInvalidMasterKey_StopsTheAppAtStart_NamingTheSettingButNotTheValue()
    {
        const string bad = "@Microsoft.KeyVault(VaultName=v;SecretName=sluice-master)";
        var e = await Assert.ThrowsAnyAsync<Exception>(() => SluiceApplication.StartAsync(new Dictionary<string, string?> { ["Sluice:Payloads:MasterKey"] = bad }));
        var message = e.ToString();
        Assert.Contains("Sluice:Payloads:MasterKey", message, StringComparison.Ordinal);
        Assert.DoesNotContain("sluice-master", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlteredDataKeyRow_FailsClosed()
    {
        var (account, _) = await _app.CreateAccountAsync();
        var (row, stored) = await WriteAsync(_app, account.Id, "secret", "answer", days: 5, s_day);
        var keyId = (await _app.Storage.Payloads.GetBlobClient(stored!.BlobName).GetTagsAsync()).Value.Tags["key"];
        var entity = (await _app.Storage.DataKeys.GetEntityAsync<TableEntity>(account.Id, keyId)).Value;
        var wrapped = entity.GetBinary("WrappedKey")!;
        wrapped[20] ^= 1;
        entity["WrappedKey"] = wrapped;
        await _app.Storage.DataKeys.UpdateEntityAsync(entity, entity.ETag);
        await using var fresh = await SluiceApplication.StartAsync(SharedStorage.With(_app), _time);

        var (_, failure) = await fresh.Services.GetRequiredService<PayloadStore>().ReadAsync(account.Id, row.RequestId, CancellationToken.None);

        Assert.Equal(PayloadFailure.DataKeyCorrupt, failure);
    }

    [Fact]
    public async Task CryptoShredding_MakesEveryCopyUnreadable_EvenOneRestoredFromABackup()
    {
        var (account, _) = await _app.CreateAccountAsync();
        var (row, stored) = await WriteAsync(_app, account.Id, "secret", "answer", days: 5, s_day);
        var backup = (await _app.Storage.Payloads.GetBlobClient(stored!.BlobName).DownloadContentAsync()).Value.Content;

        await Get<DataKeyRing>().ShredAsync(account.Id, new PurgeRun("t", s_day, 1000, 100), CancellationToken.None);
        await _app.Storage.Payloads.GetBlobClient(stored.BlobName).UploadAsync(backup, overwrite: true);

        var (plaintext, failure) = await Get<PayloadStore>().ReadAsync(account.Id, row.RequestId, CancellationToken.None);
        Assert.Null(plaintext);
        Assert.Equal(PayloadFailure.DataKeyDestroyed, failure);
        // No key material is left anywhere in the data-keys table for the account.
        await foreach (var e in _app.Storage.DataKeys.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {account.Id}")))
        {
            Assert.Null(e.GetBinary("WrappedKey"));
            Assert.NotNull(e.GetDateTimeOffset("ShreddedAt"));
        }
    }
}
