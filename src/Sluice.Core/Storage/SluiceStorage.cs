using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Sluice.Stamp;

namespace Sluice.Storage;

/// <summary>
/// The stamp's storage clients, built once (Azure SDK clients are thread-safe singletons). One code path serves
/// Azurite and Azure; only configuration differs.
/// </summary>
public sealed class SluiceStorage
{
    public SluiceStorage(IOptions<StorageOptions> options, IOptions<StampOptions> stamp)
    {
        var o = options.Value;
        TokenCredential? credential = null;
        if (string.IsNullOrWhiteSpace(o.ConnectionString))
        {
            if (o.TableServiceUri is null || o.BlobServiceUri is null)
            {
                throw new InvalidOperationException(
                    "Sluice:Storage needs either ConnectionString (local) or TableServiceUri and BlobServiceUri (Azure).");
            }
            credential = o.Credential ?? stamp.Value.CreateCredential();
        }
        var tables = TableService(o, credential, sdkRetries: true);
        // One audience for every client: a token for another cloud's storage would be refused on every call.
        var blobOptions = Configure(new BlobClientOptions { Audience = new BlobAudience(o.Audience) }, o);
        var blobs = credential is null
            ? new BlobServiceClient(o.ConnectionString, blobOptions)
            : new BlobServiceClient(o.BlobServiceUri, credential, blobOptions);

        Accounts = tables.GetTableClient(o.TablePrefix + "accounts");
        Keys = tables.GetTableClient(o.TablePrefix + "keys");
        Usage = tables.GetTableClient(o.TablePrefix + "usage");
        UsageTransactions = TableService(o, credential, sdkRetries: false).GetTableClient(o.TablePrefix + "usage");
        Rollups = tables.GetTableClient(o.TablePrefix + "rollups");
        Audit = tables.GetTableClient(o.TablePrefix + "audit");
        DataKeys = tables.GetTableClient(o.TablePrefix + "datakeys");
        PurgeRuns = tables.GetTableClient(o.TablePrefix + "purgeruns");
        FairUse = tables.GetTableClient(o.TablePrefix + "fairuse");
        Blobs = blobs;
        Payloads = blobs.GetBlobContainerClient(o.PayloadContainer);
        Locks = blobs.GetBlobContainerClient(o.LockContainer);
        KeyRing = blobs.GetBlobContainerClient(o.KeyRingContainer);
    }

    /// <summary>PK <c>account</c>, RK account id (see <c>AccountStore</c> in Accounts/).</summary>
    public TableClient Accounts { get; }

    /// <summary>PK <c>h|{sha256}</c> RK <c>key</c> (auth lookup) and PK <c>a|{account}</c> RK key id (listing).</summary>
    public TableClient Keys { get; }

    /// <summary>PK <c>{account}|{yyyyMMdd}|{shard}</c>, RK <c>{inverted ms}_{request id}</c>; counter rows
    /// <c>~rollup|{model}</c> in each partition (see <c>UsageTable</c> in Usage/).</summary>
    public TableClient Usage { get; }

    /// <summary>The usage table for the meter's group-commit transactions: the same client as <see cref="Usage"/> but
    /// without the SDK's retries, because the meter retries a transaction itself (with backoff and a log line, and
    /// telling a lost reply from a refusal); the SDK's retries nested inside would multiply every wait.</summary>
    public TableClient UsageTransactions { get; }

    /// <summary>Daily rollups: PK account id, RK <c>{yyyyMMdd}|{model}</c>, plus RK <c>~materialized</c> (the last
    /// materialised day; see <c>RollupTable</c> in Usage/).</summary>
    public TableClient Rollups { get; }

    /// <summary>PK account id (or <c>_stamp</c>), RK inverted ticks (see <c>AuditLog</c> in Accounts/).</summary>
    public TableClient Audit { get; }

    /// <summary>Per-account payload data keys, wrapped by the master key: PK account id, RK data-key id.
    /// Deleting an account's rows here crypto-shreds all its stored content; an erasure leaves a tombstone row without
    /// key material until the blobs of that key are gone (see <c>DataKeyRing</c> in Payloads/).</summary>
    public TableClient DataKeys { get; }

    /// <summary>One row per purge run: PK <c>run</c>, RK inverted start ticks.</summary>
    public TableClient PurgeRuns { get; }

    /// <summary>Limits, per-instance spend, rate-limit counters and threshold notes: every PK starts <c>{account}|</c>
    /// (see <see cref="Sluice.FairUse.LimitStore"/>).</summary>
    public TableClient FairUse { get; }

    public BlobServiceClient Blobs { get; }

    /// <summary>Encrypted payload blobs named <c>{account}/{yyyy-MM-dd}/{request id}</c>, tagged <c>account</c>,
    /// <c>created</c> and <c>expires</c> (<c>yyyy-MM-dd</c>), <c>tier</c> (lifecycle backstop) and <c>key</c> (data-key id).</summary>
    public BlobContainerClient Payloads { get; }

    /// <summary>Lease blobs that keep purge runs from overlapping.</summary>
    public BlobContainerClient Locks { get; }

    /// <summary>The encrypted data-protection key ring that protects dashboard sessions (see
    /// <see cref="Sluice.SignIn.KeyRing.BlobKeyRingRepository"/>).</summary>
    public BlobContainerClient KeyRing { get; }

    /// <summary>A table service client on the configured path (connection string, or service URI and credential).</summary>
    private static TableServiceClient TableService(StorageOptions o, TokenCredential? credential, bool sdkRetries)
    {
        var options = Configure(new TableClientOptions { Audience = new TableAudience(o.Audience) }, o);
        if (!sdkRetries)
        {
            options.Retry.MaxRetries = 0;
        }
        return credential is null
            ? new TableServiceClient(o.ConnectionString, options)
            : new TableServiceClient(o.TableServiceUri, credential, options);
    }

    /// <summary>What every storage client shares: no SDK telemetry, and the configured transport if any.</summary>
    private static T Configure<T>(T options, StorageOptions o) where T : ClientOptions
    {
        // The SDK's "telemetry" is a User-Agent naming the SDK, the runtime and the OS on every storage call.
        // Sluice sends no telemetry anywhere, so it is off; tracing and logging stay with the operator's settings.
        options.Diagnostics.IsTelemetryEnabled = false;
        if (o.Transport is not null)
        {
            options.Transport = o.Transport;
        }
        return options;
    }

    public IEnumerable<TableClient> AllTables => [Accounts, Keys, Usage, Rollups, Audit, DataKeys, PurgeRuns, FairUse];

    /// <summary>Creates every table and container the code expects; idempotent, run once at start.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        foreach (var table in AllTables)
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }
        await Payloads.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Locks.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await KeyRing.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }
}
