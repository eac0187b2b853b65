using System.Buffers;
using System.Globalization;
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Storage;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Payloads;

/// <summary>Where a stored payload lives and until when; copied onto the usage row.</summary>
public sealed record StoredContent(string BlobName, string ExpiresOn);

/// <summary>A stored request's content as listed: the request and its blob's name.</summary>
public readonly record struct StoredContentName(RequestId Id, string BlobName);

/// <summary>
/// Encrypted payload blobs in the stamp's payloads container: <c>{account}/{yyyy-MM-dd}/{request id}</c>, tagged
/// <c>account</c>, <c>created</c> and <c>expires</c> (<c>yyyy-MM-dd</c>: tags compare as strings), <c>tier</c> (the
/// lifecycle backstop's rule) and <c>key</c> (the data key, so the blobs of a destroyed key are found exactly).
/// Content is encrypted in this process before the upload; the storage service never sees plaintext.
/// </summary>
public sealed partial class PayloadStore(
    SluiceStorage storage,
    DataKeyRing keys,
    IOptionsMonitor<RetentionOptions> retention,
    ILogger<PayloadStore> logger)
{
    public PayloadCapture StartCapture(int contentDays) => new(retention.CurrentValue.PayloadMaxBytes, contentDays);

    public static string BlobName(string accountId, RequestId id) =>
        string.Create(CultureInfo.InvariantCulture, $"{accountId}/{id.CreatedAt.UtcDateTime:yyyy-MM-dd}/{id.Value}");

    public static bool TryParseBlobName(string name, out string accountId, out RequestId id)
    {
        var parts = name.Split('/');
        accountId = parts.Length == 3 ? parts[0] : "";
        id = default;
        return parts.Length == 3 && Accounts.AccountStore.IsValidId(accountId) && RequestId.TryParse(parts[2], out id)
            && BlobName(accountId, id) == name;
    }

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Deletes every blob whose <c>expires</c> tag is on or before <paramref name="today"/>, except those of
    /// the accounts in <paramref name="keepAccounts"/>, within the run's budget.</summary>
    public Task<(long Deleted, bool Complete)> DeleteExpiredAsync(DateOnly today, IReadOnlySet<string> keepAccounts, PurgeRun run,
        CancellationToken cancellationToken) =>
        TaggedBlobDeletes.DeleteAsync(storage.Payloads, $"\"expires\" <= '{Day(today)}'", run, "payload_blobs",
            keep: name => TryParseBlobName(name, out var accountId, out _) && keepAccounts.Contains(accountId),
            afterDelete: null, cancellationToken);

    /// <summary>Deletes the account's blobs created on or before <paramref name="lastDay"/> (a period shortened since they
    /// were written), within the run's budget. Account ids are generated ([a-z0-9_]), so they are safe in the tag query.</summary>
    public Task<(long Deleted, bool Complete)> DeleteCreatedThroughAsync(string accountId, DateOnly lastDay, PurgeRun run,
        CancellationToken cancellationToken) =>
        TaggedBlobDeletes.DeleteAsync(storage.Payloads, $"\"account\" = '{accountId}' AND \"created\" <= '{Day(lastDay)}'", run,
            "payload_blobs", keep: null, afterDelete: null, cancellationToken);

    /// <summary>Deletes every blob tagged with the account (the purge of a closed account), within the run's budget.</summary>
    public Task<(long Deleted, bool Complete)> DeleteAccountAsync(string accountId, PurgeRun run, CancellationToken cancellationToken) =>
        TaggedBlobDeletes.DeleteAsync(storage.Payloads, $"\"account\" = '{accountId}'", run, "payload_blobs",
            keep: null, afterDelete: null, cancellationToken);

    /// <summary>Deletes the account's blobs encrypted under one data key (found by their <c>key</c> tag), within the
    /// run's budget, calling <paramref name="afterDelete"/> with the request of each blob deleted.</summary>
    public Task<(long Deleted, bool Complete)> DeleteUnderKeyAsync(string accountId, string keyId, PurgeRun run,
        Func<string, RequestId, CancellationToken, Task> afterDelete, CancellationToken cancellationToken) =>
        TaggedBlobDeletes.DeleteAsync(storage.Payloads, $"\"account\" = '{accountId}' AND \"key\" = '{keyId}'", run, "payload_blobs",
            keep: null,
            afterDelete: (name, ct) => TryParseBlobName(name, out var owner, out var id) ? afterDelete(owner, id, ct) : Task.CompletedTask,
            cancellationToken);

    /// <summary>Deletes one request's blob; true when there was one.</summary>
    public async Task<bool> DeleteAsync(string accountId, RequestId id, CancellationToken cancellationToken) =>
        (await storage.Payloads.DeleteBlobIfExistsAsync(BlobName(accountId, id), cancellationToken: cancellationToken)).Value;

    /// <summary>Every stored request of the account with its blob name, listed by name prefix rather than by tag, so
    /// blobs show whether due or not.</summary>
    public async IAsyncEnumerable<StoredContentName> ListAsync(string accountId,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var blob in storage.Payloads.GetBlobsAsync(BlobTraits.None, BlobStates.None, accountId + "/", cancellationToken))
        {
            if (TryParseBlobName(blob.Name, out var owner, out var id) && owner == accountId)
            {
                yield return new StoredContentName(id, blob.Name);
            }
        }
    }

    /// <summary>The smallest lifecycle tier at least <paramref name="days"/>: the storage backstop never deletes
    /// before the app's own purge would.</summary>
    public string TierFor(int days)
    {
        var tiers = retention.CurrentValue.ParsedTiers();
        foreach (var tier in tiers)
        {
            if (tier >= days)
            {
                return tier.ToString(CultureInfo.InvariantCulture);
            }
        }
        return tiers[^1].ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Encrypts and stores the request and its captured response. Never throws: the client already has
    /// its answer, so a failure (no master key, storage down) is logged by id and the row simply names no content.</summary>
    public Task<StoredContent?> WriteAsync(ChatRequest request, PayloadCapture capture, UsageRecord row, CancellationToken cancellationToken) =>
        WriteAsync(request.Body, request.Root, capture, row, cancellationToken);

    /// <summary>Encrypts and stores a request of any surface (its body as sent and its parsed root) and its captured
    /// response; see <see cref="WriteAsync(ChatRequest, PayloadCapture, UsageRecord, CancellationToken)"/>.</summary>
    public async Task<StoredContent?> WriteAsync(ReadOnlyMemory<byte> requestBody, System.Text.Json.JsonElement requestRoot, PayloadCapture capture,
        UsageRecord row, CancellationToken cancellationToken)
    {
        var name = BlobName(row.AccountId, row.RequestId);
        try
        {
            var (key, failure) = await keys.CurrentAsync(row.AccountId, cancellationToken);
            if (key is null)
            {
                Log.NotStored(logger, row.RequestId.Value, row.AccountId, failure!.Value.ToCode());
                return null;
            }
            // Sized for the document up front (JSON escaping at most doubles text but for rare control characters),
            // so it seldom grows: a grown-out-of array goes back to the pool holding plaintext.
            using var buffer = new PooledBufferWriter(2 * (capture.Response.Length + Math.Min(requestBody.Length, capture.MaxBytes)) + 4096);
            PayloadCipher.WriteHeader(buffer, key.Id);
            PayloadDocument.Write(buffer, requestBody.Span, requestRoot, capture, row);
            var sealedBytes = buffer.WrittenMemory;
            // Encrypted in place: the writer's memory is a rented array, writable, and no plaintext copy is made.
            PayloadCipher.Seal(System.Runtime.InteropServices.MemoryMarshal.AsMemory(sealedBytes).Span, key, name, row.AccountId, row.RequestId.Value);

            var created = DateOnly.FromDateTime(row.RequestId.CreatedAt.UtcDateTime);
            var expires = Day(created.AddDays(capture.ContentDays));
            await storage.Payloads.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(sealedBytes), new BlobUploadOptions
            {
                Tags = new Dictionary<string, string>
                {
                    ["account"] = row.AccountId,
                    ["created"] = Day(created),
                    ["expires"] = expires,
                    ["tier"] = TierFor(capture.ContentDays),
                    ["key"] = key.Id,
                },
                // A request id is written once; never overwrite.
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken);
            Log.Stored(logger, row.RequestId.Value, sealedBytes.Length, capture.Truncated);
            return new StoredContent(name, expires);
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException or HttpRequestException)
        {
            Log.NotStored(logger, row.RequestId.Value, row.AccountId, e.GetType().Name);
            return null;
        }
    }

    /// <summary>Reads and decrypts the payload of a request of <paramref name="accountId"/>. Null plaintext and null
    /// failure: nothing stored under that name.</summary>
    public async Task<(PayloadPlaintext? Plaintext, PayloadFailure? Failure)> ReadAsync(string accountId, RequestId id, CancellationToken cancellationToken)
    {
        var name = BlobName(accountId, id);
        BinaryData content;
        try
        {
            content = (await storage.Payloads.GetBlobClient(name).DownloadContentAsync(cancellationToken)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (null, null);
        }
        catch (RequestFailedException)
        {
            return (null, PayloadFailure.StorageUnavailable);
        }
        var keyId = PayloadCipher.KeyIdOf(content.ToMemory().Span);
        if (keyId is null)
        {
            return (null, PayloadFailure.PayloadTampered);
        }
        var (key, failure) = await keys.GetAsync(accountId, keyId, cancellationToken);
        if (key is null)
        {
            return (null, failure);
        }
        var plaintext = new PayloadPlaintext(content.ToMemory().Span);
        var range = PayloadCipher.Open(plaintext.Buffer, key, name, accountId, id.Value);
        if (range is null)
        {
            plaintext.Dispose();
            return (null, PayloadFailure.PayloadTampered);
        }
        plaintext.Range = range.Value;
        return (plaintext, null);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Stored the encrypted payload of request {RequestId} ({Bytes} bytes, truncated: {Truncated}).")]
        public static partial void Stored(ILogger logger, string requestId, int bytes, bool truncated);

        [LoggerMessage(2, LogLevel.Error, "The payload of request {RequestId} of account {AccountId} was not stored ({Reason}); nothing was written.")]
        public static partial void NotStored(ILogger logger, string requestId, string accountId, string reason);
    }
}

/// <summary>A decrypted payload in a pooled buffer, cleared when disposed.</summary>
public sealed class PayloadPlaintext : IDisposable
{
    private byte[] _rented;
    private readonly int _length;

    internal PayloadPlaintext(ReadOnlySpan<byte> sealedBytes)
    {
        _rented = ArrayPool<byte>.Shared.Rent(sealedBytes.Length);
        _length = sealedBytes.Length;
        sealedBytes.CopyTo(_rented);
    }

    internal Span<byte> Buffer => _rented.AsSpan(0, _length);

    internal Range Range { get; set; }

    /// <summary>The payload document: one JSON object (see <see cref="PayloadDocument"/>).</summary>
    public ReadOnlyMemory<byte> Json => _rented.AsMemory(0, _length)[Range];

    public void Dispose()
    {
        if (_rented.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_rented, clearArray: true);
            _rented = [];
        }
    }
}
