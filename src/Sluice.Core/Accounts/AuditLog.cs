using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Azure.Data.Tables;
using Sluice.Storage;

namespace Sluice.Accounts;

/// <summary>One audit event: who did what to which object, from where, when. Details hold identifiers and
/// settings only, never content or key material.</summary>
public sealed record AuditEntry(string AccountId, DateTimeOffset Time, string Actor, string Action, string? Target, string? SourceIp, string? Details);

/// <summary>
/// The audit table: PartitionKey the account id (<c>_stamp</c> for stamp-wide events such as purge runs), RowKey
/// inverted ticks so an account's newest events come first and its oldest form one contiguous range to purge.
/// </summary>
public sealed class AuditLog(SluiceStorage storage, TimeProvider time)
{
    public const string StampPartition = "_stamp";
    private const long MaxTicks = 3_155_378_975_999_999_999;

    public Task WriteAsync(string accountId, string actor, string action, string? target, IPAddress? sourceIp,
        string? details, CancellationToken cancellationToken) =>
        WriteAsync(new AuditEntry(accountId, time.GetUtcNow(), actor, action, target, sourceIp?.ToString(), details), cancellationToken);

    public async Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken) =>
        await storage.Audit.AddEntityAsync(ToEntity(entry, RowKey(entry.Time) + "_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))), cancellationToken);

    /// <summary>
    /// Writes an entry that must exist exactly once however often the work behind it is retried: its RowKey comes from
    /// <paramref name="keyTime"/> and <paramref name="uniqueId"/>, both fixed before the work began, so a retry
    /// overwrites the same row instead of adding a second one.
    /// </summary>
    public async Task WriteOnceAsync(AuditEntry entry, DateTimeOffset keyTime, string uniqueId, CancellationToken cancellationToken) =>
        await storage.Audit.UpsertEntityAsync(ToEntity(entry, RowKey(keyTime) + "_" + uniqueId), TableUpdateMode.Replace, cancellationToken);

    /// <summary>Removes an entry written by <see cref="WriteOnceAsync"/> when the work it records was undone.</summary>
    public async Task RetractOnceAsync(string partition, DateTimeOffset keyTime, string uniqueId, CancellationToken cancellationToken) =>
        await storage.Audit.DeleteEntityAsync(partition, RowKey(keyTime) + "_" + uniqueId, Azure.ETag.All, cancellationToken);

    private static TableEntity ToEntity(AuditEntry entry, string rowKey) => new(entry.AccountId, rowKey)
    {
        ["Time"] = entry.Time,
        ["Actor"] = entry.Actor,
        ["Action"] = entry.Action,
        ["Target"] = entry.Target,
        ["SourceIp"] = entry.SourceIp,
        ["Details"] = entry.Details,
    };

    /// <summary>RowKey prefix of an instant; later instants sort first.</summary>
    public static string RowKey(DateTimeOffset time) =>
        (MaxTicks - time.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    public async IAsyncEnumerable<AuditEntry> QueryAsync(string accountId, DateTimeOffset from, DateTimeOffset to,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rkFrom = RowKey(to);
        var rkTo = RowKey(from) + "~";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {accountId} and RowKey ge {rkFrom} and RowKey lt {rkTo}");
        await foreach (var e in storage.Audit.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return new AuditEntry(e.PartitionKey, e.GetDateTimeOffset("Time") ?? default, e.GetString("Actor") ?? "",
                e.GetString("Action") ?? "", e.GetString("Target"), e.GetString("SourceIp"), e.GetString("Details"));
        }
    }
}
