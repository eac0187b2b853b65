using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

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
        // The SDK's "telemetry" is a User-Agent naming the SDK, the runtime and the OS on every storage call.
        // Sluice sends no telemetry anywhere, so it is off; tracing and logging stay with the operator's settings.
        var tableOptions = new TableClientOptions();
        tableOptions.Diagnostics.IsTelemetryEnabled = false;
        var blobOptions = new BlobClientOptions();
        blobOptions.Diagnostics.IsTelemetryEnabled = false;
        TableServiceClient tables;
        BlobServiceClient blobs;
        TokenCredential? credential = null;
        if (!string.IsNullOrWhiteSpace(o.ConnectionString))
        {
            tables = new TableServiceClient(o.ConnectionString, tableOptions);
            blobs = new BlobServiceClient(o.ConnectionString, blobOptions);
        }
        else if (o.TableServiceUri is not null && o.BlobServiceUri is not null)
        {
            credential = stamp.Value.CreateCredential();
            tables = new TableServiceClient(o.TableServiceUri, credential, tableOptions);
            blobs = new BlobServiceClient(o.BlobServiceUri, credential, blobOptions);
        }
        else
        {
            throw new InvalidOperationException(
                "Sluice:Storage needs either ConnectionString (local) or TableServiceUri and BlobServiceUri (Azure).");
        }

        Accounts = tables.GetTableClient(o.TablePrefix + "accounts");
        Keys = tables.GetTableClient(o.TablePrefix + "keys");
        Usage = tables.GetTableClient(o.TablePrefix + "usage");
        // Built now, not on first use: a connection string the usage writer cannot sign with (a SAS, say) must stop
        // the app at start, not lose every usage row later.
        UsageBatches = credential is null
            ? TableBatchWriter.ForConnectionString(o.ConnectionString!, Usage, tableOptions)
            : TableBatchWriter.ForCredential(Usage, credential, tableOptions);
        Rollups = tables.GetTableClient(o.TablePrefix + "rollups");
        Audit = tables.GetTableClient(o.TablePrefix + "audit");
        DataKeys = tables.GetTableClient(o.TablePrefix + "datakeys");
        PurgeRuns = tables.GetTableClient(o.TablePrefix + "purgeruns");
        Blobs = blobs;
        Payloads = blobs.GetBlobContainerClient(o.PayloadContainer);
        Locks = blobs.GetBlobContainerClient(o.LockContainer);
    }

    /// <summary>PK <c>account</c>, RK account id (see <see cref="Sluice.Accounts.AccountStore"/>).</summary>
    public TableClient Accounts { get; }

    /// <summary>PK <c>h|{sha256}</c> RK <c>key</c> (auth lookup) and PK <c>a|{account}</c> RK key id (listing).</summary>
    public TableClient Keys { get; }

    /// <summary>PK <c>{account}|{yyyyMMdd}|{shard}</c>, RK <c>{inverted ms}_{request id}</c>; counter rows
    /// <c>~rollup|{model}</c> in each partition (see <see cref="Sluice.Usage.UsageTable"/>).</summary>
    public TableClient Usage { get; }

    /// <summary>Writes the usage table's group-commit transactions without the SDK's per-row cost (same auth, same
    /// options, same wire format as <see cref="Usage"/>; see <see cref="TableBatchWriter"/>).</summary>
    public TableBatchWriter UsageBatches { get; }

    /// <summary>Daily rollups: PK account id, RK <c>{yyyyMMdd}|{model}</c>, plus RK <c>~materialized</c> (the last
    /// materialised day; see <see cref="Sluice.Usage.RollupTable"/>).</summary>
    public TableClient Rollups { get; }

    /// <summary>PK account id (or <c>_stamp</c>), RK inverted ticks (see <see cref="Sluice.Accounts.AuditLog"/>).</summary>
    public TableClient Audit { get; }

    /// <summary>Per-account payload data keys, wrapped by the master key: PK account id, RK data-key id.
    /// Deleting an account's rows here crypto-shreds all its stored content; an erasure leaves a tombstone row without
    /// key material until the blobs of that key are gone (see <see cref="Sluice.Payloads.DataKeyRing"/>).</summary>
    public TableClient DataKeys { get; }

    /// <summary>One row per purge run: PK <c>run</c>, RK inverted start ticks.</summary>
    public TableClient PurgeRuns { get; }

    public BlobServiceClient Blobs { get; }

    /// <summary>Encrypted payload blobs named <c>{account}/{yyyy-MM-dd}/{request id}</c>, tagged <c>account</c>,
    /// <c>created</c> and <c>expires</c> (<c>yyyy-MM-dd</c>), <c>tier</c> (lifecycle backstop) and <c>key</c> (data-key id).</summary>
    public BlobContainerClient Payloads { get; }

    /// <summary>Lease blobs that keep purge runs from overlapping.</summary>
    public BlobContainerClient Locks { get; }

    public IEnumerable<TableClient> AllTables => [Accounts, Keys, Usage, Rollups, Audit, DataKeys, PurgeRuns];

    /// <summary>Creates every table and container the code expects; idempotent, run once at start.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        foreach (var table in AllTables)
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }
        await Payloads.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Locks.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }
}
