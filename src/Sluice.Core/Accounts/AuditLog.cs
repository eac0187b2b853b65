using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Sluice.Storage;

namespace Sluice.Accounts;

/// <summary>One audit event: who did what to which object, from where, when. Details hold identifiers and
/// settings only, never content or key material. An entry can stand for <see cref="Count"/> identical actions
/// (same actor, action, target, source and details) within one window: <see cref="Time"/> is the first of them and
/// <see cref="LastTime"/> the last.</summary>
public sealed record AuditEntry(string AccountId, DateTimeOffset Time, string Actor, string Action, string? Target, string? SourceIp, string? Details)
{
    public int Count { get; init; } = 1;

    /// <summary>The last of <see cref="Count"/> identical actions; null when the entry stands for one.</summary>
    public DateTimeOffset? LastTime { get; init; }

    /// <summary>This entry and <paramref name="other"/>, an entry of the same actions, as one.</summary>
    internal AuditEntry Merge(AuditEntry other)
    {
        var (last, otherLast) = (LastTime ?? Time, other.LastTime ?? other.Time);
        return this with
        {
            Time = other.Time < Time ? other.Time : Time,
            Count = Count + other.Count,
            LastTime = otherLast > last ? otherLast : last,
        };
    }
}

/// <summary>
/// The audit table: PartitionKey the account id (<c>_stamp</c> for stamp-wide events such as purge runs), RowKey
/// inverted ticks so an account's newest events come first and its oldest form one contiguous range to purge.
/// <para>
/// Repeats are coalesced, so a client repeating an action in a loop adds rows per window, not per request. The RowKey
/// of an ordinary entry is <c>{start of its window}_c_{fingerprint}_{instance}</c>: the window of
/// <see cref="AccountOptions.AuditCoalesceWindow"/> it falls in, a fingerprint of who did what to which object, from
/// where, with which details, and this process. The first such action in a window adds the row; each repeat raises its
/// count and last time. Only this process writes its rows, one write at a time per row, so repeats never race each
/// other for a row (and the update is still conditional, against the purge). Readers merge the rows of one window and
/// fingerprint from several instances into one entry: at most one row per instance, window and distinct action.
/// </para>
/// </summary>
public sealed class AuditLog(SluiceStorage storage, TimeProvider time, IOptionsMonitor<AccountOptions> options)
{
    public const string StampPartition = "_stamp";
    private const long MaxTicks = 3_155_378_975_999_999_999;
    private const string CoalescedMark = "_c_";
    private const int MaxAttempts = 5;

    /// <summary>The longest window <see cref="AccountOptions.AuditCoalesceWindow"/> may be; queries look back this far
    /// before their start, since a coalesced entry's RowKey is its window's start, not its first time.</summary>
    internal static readonly TimeSpan MaxCoalesceWindow = TimeSpan.FromHours(1);

    private readonly string _instance = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>Serialises this process's writes per row (by fingerprint), and remembers the row each wrote last, so a
    /// repeat is one conditional update. A fixed number: memory does not grow with the number of actions.</summary>
    private readonly Stripe[] _stripes = [.. Enumerable.Range(0, 32).Select(_ => new Stripe())];

    public Task WriteAsync(string accountId, string actor, string action, string? target, IPAddress? sourceIp,
        string? details, CancellationToken cancellationToken) =>
        WriteAsync(new AuditEntry(accountId, time.GetUtcNow(), actor, action, target, sourceIp?.ToString(), details), cancellationToken);

    public async Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        var window = options.CurrentValue.AuditCoalesceWindow;
        if (window <= TimeSpan.Zero)
        {
            await storage.Audit.AddEntityAsync(ToEntity(entry, UniqueRowKey(entry.Time)), cancellationToken);
            return;
        }
        var fingerprint = Fingerprint(entry);
        var windowStart = new DateTimeOffset(entry.Time.UtcTicks - entry.Time.UtcTicks % window.Ticks, TimeSpan.Zero);
        var rowKey = RowKey(windowStart) + CoalescedMark + fingerprint + "_" + _instance;
        var stripe = _stripes[Convert.ToUInt32(fingerprint[..8], 16) % (uint)_stripes.Length];
        await stripe.Gate.WaitAsync(cancellationToken);
        try
        {
            stripe.Last = await CoalesceAsync(entry, rowKey, stripe.Last, cancellationToken);
        }
        finally
        {
            stripe.Gate.Release();
        }
    }

    /// <summary>Adds the entry's row or counts the entry into it; returns the row as written (null when the entry went
    /// to a row of its own).</summary>
    private async Task<TableEntity?> CoalesceAsync(AuditEntry entry, string rowKey, TableEntity? last, CancellationToken cancellationToken)
    {
        var row = last is not null && last.PartitionKey == entry.AccountId && last.RowKey == rowKey ? last : null;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (row is null)
            {
                var added = ToEntity(entry, rowKey);
                try
                {
                    added.ETag = (await storage.Audit.AddEntityAsync(added, cancellationToken)).Headers.ETag ?? default;
                    return added;
                }
                catch (RequestFailedException e) when (e.Status == 409)
                {
                }
                var stored = await storage.Audit.GetEntityIfExistsAsync<TableEntity>(entry.AccountId, rowKey, cancellationToken: cancellationToken);
                if (!stored.HasValue)
                {
                    continue;
                }
                row = stored.Value!;
            }
            var existing = FromEntity(row);
            if (existing with { Time = entry.Time, Count = 1, LastTime = null } != entry)
            {
                // Two different actions with one fingerprint: keep them apart.
                break;
            }
            var next = ToEntity(existing.Merge(entry), rowKey);
            try
            {
                next.ETag = (await storage.Audit.UpdateEntityAsync(next, row.ETag, TableUpdateMode.Replace, cancellationToken)).Headers.ETag ?? default;
                return next;
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                // The purge removed the row, or something other than this process wrote it: decide again on a fresh read.
                row = null;
            }
        }
        await storage.Audit.AddEntityAsync(ToEntity(entry, UniqueRowKey(entry.Time)), cancellationToken);
        return null;
    }

    /// <summary>
    /// Writes an entry that must exist exactly once however often the work behind it is retried: its RowKey comes from
    /// <paramref name="keyTime"/> and <paramref name="uniqueId"/>, both fixed before the work began, so a retry
    /// overwrites the same row instead of adding a second one.
    /// </summary>
    public async Task WriteOnceAsync(AuditEntry entry, DateTimeOffset keyTime, string uniqueId, CancellationToken cancellationToken) =>
        await storage.Audit.UpsertEntityAsync(ToEntity(entry, RowKey(keyTime) + "_" + uniqueId), TableUpdateMode.Replace, cancellationToken);

    /// <summary>Removes an entry written by <see cref="WriteOnceAsync"/> when the work it records was undone.</summary>
    public async Task RetractOnceAsync(string partition, DateTimeOffset keyTime, string uniqueId, CancellationToken cancellationToken) =>
        await storage.Audit.DeleteEntityAsync(partition, RowKey(keyTime) + "_" + uniqueId, ETag.All, cancellationToken);

    /// <summary>RowKey prefix of an instant; later instants sort first.</summary>
    public static string RowKey(DateTimeOffset time) =>
        (MaxTicks - time.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>The partition's entries with an action in [<paramref name="from"/>, <paramref name="to"/>], newest window
    /// first; the rows several instances wrote for the same actions in one window come back as one entry.</summary>
    public async IAsyncEnumerable<AuditEntry> QueryAsync(string accountId, DateTimeOffset from, DateTimeOffset to,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var earliestWindow = from.UtcTicks > MaxCoalesceWindow.Ticks ? from - MaxCoalesceWindow : DateTimeOffset.MinValue;
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {accountId} and RowKey ge {RowKey(to)} and RowKey lt {RowKey(earliestWindow) + "~"}");
        (AuditEntry Entry, string? Group)? pending = null;
        await foreach (var e in storage.Audit.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var (entry, group) = (FromEntity(e), CoalescingGroup(e.RowKey));
            // One window and fingerprint sort together, so the rows of other instances are adjacent.
            if (pending is { } p && group is not null && group == p.Group)
            {
                pending = (p.Entry.Merge(entry), group);
                continue;
            }
            if (pending is { } done && Overlaps(done.Entry))
            {
                yield return done.Entry;
            }
            pending = (entry, group);
        }
        if (pending is { } lastEntry && Overlaps(lastEntry.Entry))
        {
            yield return lastEntry.Entry;
        }

        bool Overlaps(AuditEntry entry) => entry.Time <= to && (entry.LastTime ?? entry.Time) >= from;
    }

    /// <summary>The window and fingerprint of a coalesced row (its RowKey without the instance); null for other rows.</summary>
    private static string? CoalescingGroup(string rowKey) =>
        rowKey.Length > 19 + CoalescedMark.Length && rowKey.AsSpan(19).StartsWith(CoalescedMark, StringComparison.Ordinal)
            ? rowKey[..rowKey.LastIndexOf('_')]
            : null;

    private static TableEntity ToEntity(AuditEntry entry, string rowKey) => new(entry.AccountId, rowKey)
    {
        ["Time"] = entry.Time,
        ["Actor"] = entry.Actor,
        ["Action"] = entry.Action,
        ["Target"] = entry.Target,
        ["SourceIp"] = entry.SourceIp,
        ["Details"] = entry.Details,
        ["Count"] = entry.Count == 1 ? null : entry.Count,
        ["LastTime"] = entry.LastTime,
    };

    private static AuditEntry FromEntity(TableEntity e) =>
        new(e.PartitionKey, e.GetDateTimeOffset("Time") ?? default, e.GetString("Actor") ?? "", e.GetString("Action") ?? "",
            e.GetString("Target"), e.GetString("SourceIp"), e.GetString("Details"))
        {
            Count = e.GetInt32("Count") ?? 1,
            LastTime = e.GetDateTimeOffset("LastTime"),
        };

    private static string UniqueRowKey(DateTimeOffset time) => RowKey(time) + "_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>Who did what to which object, from where, with which details, as 16 hex characters.</summary>
    private static string Fingerprint(AuditEntry e)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', e.Actor, e.Action, e.Target, e.SourceIp, e.Details)), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    private sealed class Stripe
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public TableEntity? Last { get; set; }
    }

    /// <summary>Deletes the entries of <paramref name="partition"/> (an account, or <see cref="StampPartition"/>) older
    /// than the instant <paramref name="firstKept"/>: one RowKey range, since RowKeys are inverted ticks.</summary>
    public Task<long> DeleteBeforeAsync(string partition, DateTimeOffset firstKept, PurgeRun run, CancellationToken cancellationToken)
    {
        // Entries at firstKept have RowKey "{RowKey(firstKept)}_…", below this bound ('_' < '~'); older ones sort above it.
        var bound = RowKey(firstKept) + "~";
        return TableDeletes.DeleteWhereAsync(storage.Audit, TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {bound}"),
            run, "audit_entries", cancellationToken);
    }

    /// <summary>Deletes the account's whole audit partition, within the run's budget.</summary>
    public Task<long> DeleteAccountAsync(string accountId, PurgeRun run, CancellationToken cancellationToken) =>
        TableDeletes.DeleteWhereAsync(storage.Audit, TableClient.CreateQueryFilter($"PartitionKey eq {accountId}"), run, "audit_entries", cancellationToken);
}
