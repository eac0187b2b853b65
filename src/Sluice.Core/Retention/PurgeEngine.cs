using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Storage;

namespace Sluice.Retention;

/// <summary>The outcome of one call to <see cref="PurgeEngine.RunAsync"/>.</summary>
public sealed record PurgeRunResult(string RunId, string Status, DateTimeOffset StartedAt, double DurationMs,
    IReadOnlyDictionary<string, long> Counts, IReadOnlyList<string> Notes, bool Remaining);

/// <summary>
/// The one purge engine: the timer function, the local host's scheduler, the operator API and the CLI all call
/// <see cref="RunAsync"/>. It takes a blob lease so two runs never overlap (the timer trigger is single-instance,
/// but an operator's run-now is not), runs every <see cref="IPurgeRule"/> in order at one instant within one
/// deletion budget, records the run in the purge-runs table and logs a summary (counts and ids, never content).
/// </summary>
public sealed partial class PurgeEngine(
    IEnumerable<IPurgeRule> rules,
    SluiceStorage storage,
    TimeProvider time,
    IOptionsMonitor<PurgeOptions> options,
    ILogger<PurgeEngine> logger)
{
    /// <summary>The app setting the Functions timer reads (<c>%SLUICE_PURGE_SCHEDULE%</c>) and the local host's
    /// scheduler reads too: six-field NCRONTAB, always UTC (Flex ignores time-zone settings).</summary>
    public const string ScheduleSetting = "SLUICE_PURGE_SCHEDULE";

    /// <summary>Hourly at minute 5: day boundaries are honoured within an hour, and each run is small.</summary>
    public const string DefaultSchedule = "0 5 * * * *";

    private const string LockBlob = "purge";
    private static readonly TimeSpan s_leaseDuration = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_leaseRenewal = TimeSpan.FromSeconds(20);
    private const long MaxTicks = 3_155_378_975_999_999_999;

    public async Task<PurgeRunResult> RunAsync(CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var timestamp = time.GetTimestamp();
        var o = options.CurrentValue;
        var run = new PurgeRun(RunId(started), started, o.MaxDeletesPerRun, o.PurgeBatchSize);

        var lease = await TryAcquireLeaseAsync(cancellationToken);
        if (lease is null)
        {
            Log.Skipped(logger, run.Id);
            return new PurgeRunResult(run.Id, "skipped_lease_held", started, 0, run.Counts, ["another purge run holds the lease"], Remaining: true);
        }

        using var lost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewal = RenewAsync(lease, lost);
        var status = "completed";
        try
        {
            await RecordAsync(run, "running", 0, remaining: true, CancellationToken.None);
            foreach (var rule in rules)
            {
                if (run.BudgetExhausted)
                {
                    break;
                }
                await rule.RunAsync(run, lost.Token);
            }
            if (run.BudgetExhausted)
            {
                status = "incomplete_budget";
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            status = "incomplete_lease_lost";
        }
        catch (OperationCanceledException)
        {
            status = "incomplete_cancelled";
            throw;
        }
        catch (Exception e)
        {
            status = "failed";
            Log.Failed(logger, run.Id, e.GetType().Name);
            throw;
        }
        finally
        {
            await lost.CancelAsync();
            await renewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var duration = time.GetElapsedTime(timestamp).TotalMilliseconds;
            await RecordAsync(run, status, duration, remaining: status != "completed", CancellationToken.None);
            await ReleaseAsync(lease);
            Log.Summary(logger, run.Id, status, duration, string.Join(", ", run.Counts.Select(c => $"{c.Key}={c.Value}")), run.Notes.Count);
        }
        return new PurgeRunResult(run.Id, status, started, time.GetElapsedTime(timestamp).TotalMilliseconds,
            run.Counts, [.. run.Notes], Remaining: status != "completed");
    }

    private static string RunId(DateTimeOffset started) =>
        (MaxTicks - started.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "_" + Guid.NewGuid().ToString("N")[..8];

    private async Task<BlobLeaseClient?> TryAcquireLeaseAsync(CancellationToken cancellationToken)
    {
        var blob = storage.Locks.GetBlobClient(LockBlob);
        try
        {
            await blob.UploadAsync(BinaryData.Empty, new Azure.Storage.Blobs.Models.BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // The lock blob exists already (or is leased right now): fine either way.
        }
        var lease = blob.GetBlobLeaseClient();
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // Not cancellable once sent: a cancellation racing the reply would leave a lease granted but never
            // released, and every run for the next minute would be skipped.
            await lease.AcquireAsync(s_leaseDuration, cancellationToken: CancellationToken.None);
            return lease;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }
    }

    /// <summary>Keeps the lease while the run works; if renewing fails the run is cancelled, since another run may
    /// then take over. Real time on purpose: the lease expires in the storage service's time, not the app's.</summary>
    private static async Task RenewAsync(BlobLeaseClient lease, CancellationTokenSource lost)
    {
        try
        {
            while (true)
            {
                await Task.Delay(s_leaseRenewal, lost.Token);
                await lease.RenewAsync(cancellationToken: lost.Token);
            }
        }
        catch (RequestFailedException)
        {
            await lost.CancelAsync();
        }
    }

    private static async Task ReleaseAsync(BlobLeaseClient lease)
    {
        try
        {
            await lease.ReleaseAsync();
        }
        catch (RequestFailedException)
        {
            // Expired already: the next run acquires it anyway.
        }
    }

    private async Task RecordAsync(PurgeRun run, string status, double durationMs, bool remaining, CancellationToken cancellationToken)
    {
        var entity = new TableEntity("run", run.Id)
        {
            ["StartedAt"] = run.Now,
            ["Status"] = status,
            ["DurationMs"] = durationMs,
            ["Remaining"] = remaining,
            ["Deleted"] = run.Deleted,
            ["Counts"] = JsonSerializer.Serialize(run.Counts, RetentionJson.Default.IReadOnlyDictionaryStringInt64),
            ["Notes"] = string.Join('\n', run.Notes.Take(200)),
        };
        await storage.PurgeRuns.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Purge run {RunId} {Status} in {DurationMs} ms: {Counts}; {NoteCount} notes.")]
        public static partial void Summary(ILogger logger, string runId, string status, double durationMs, string counts, int noteCount);

        [LoggerMessage(2, LogLevel.Information, "Purge run {RunId} skipped: another run holds the lease.")]
        public static partial void Skipped(ILogger logger, string runId);

        [LoggerMessage(3, LogLevel.Error, "Purge run {RunId} failed ({Error}); the next run resumes where it stopped.")]
        public static partial void Failed(ILogger logger, string runId, string error);
    }
}
