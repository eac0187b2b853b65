using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Sluice.Storage;

namespace Sluice.Health;

/// <summary>What <c>GET /health</c> says about storage: whether the tables and the blobs each answered.</summary>
public sealed record StorageStatus(bool TablesReachable, bool BlobsReachable)
{
    public bool Healthy => TablesReachable && BlobsReachable;
}

/// <summary>
/// Whether the stamp's storage answers, asked with two cheap reads (a point read of a key no row has, and a
/// container's existence), each under a short deadline. The answer is reused for <see cref="CacheFor"/> and concurrent
/// callers share one probe, so an anonymous endpoint built on it costs storage at most two reads every few seconds,
/// however often it is called.
/// </summary>
public sealed partial class StorageHealth(SluiceStorage storage, TimeProvider time, ILogger<StorageHealth> logger)
{
    /// <summary>How long one answer is reused.</summary>
    internal static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    /// <summary>How long a probe waits for storage before calling it unreachable (the SDK's own retries included).</summary>
    internal static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private Task<StorageStatus>? _probe;
    private long _probeStarted;

    /// <summary>The latest answer, or a new probe if it is older than <see cref="CacheFor"/>; never throws.</summary>
    public Task<StorageStatus> CheckAsync()
    {
        lock (_gate)
        {
            if (_probe is null || (_probe.IsCompleted && time.GetElapsedTime(_probeStarted) >= CacheFor))
            {
                _probeStarted = time.GetTimestamp();
                _probe = ProbeAsync();
            }
            return _probe;
        }
    }

    private async Task<StorageStatus> ProbeAsync()
    {
        using var deadline = new CancellationTokenSource(ProbeTimeout, time);
        var tables = ReachableAsync("tables", async token =>
            await storage.Accounts.GetEntityIfExistsAsync<TableEntity>("~health", "~probe", ["PartitionKey"], token), deadline.Token);
        var blobs = ReachableAsync("blobs", async token => await storage.Locks.ExistsAsync(token), deadline.Token);
        return new StorageStatus(await tables, await blobs);
    }

    private async Task<bool> ReachableAsync(string service, Func<CancellationToken, Task> read, CancellationToken deadline)
    {
        try
        {
            await read(deadline);
            return true;
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException or HttpRequestException or TimeoutException
            or AggregateException)
        {
            // The type and status only: a storage error's message names the account and the request.
            Log.Unreachable(logger, service, e.GetType().Name, (e as RequestFailedException)?.Status ?? 0);
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Health probe: storage {Service} unreachable ({Error}, status {Status}).")]
        public static partial void Unreachable(ILogger logger, string service, string error, int status);
    }
}
