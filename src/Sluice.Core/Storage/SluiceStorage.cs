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
        TableServiceClient tables;
        BlobServiceClient blobs;
        if (!string.IsNullOrWhiteSpace(o.ConnectionString))
        {
            tables = new TableServiceClient(o.ConnectionString);
            blobs = new BlobServiceClient(o.ConnectionString);
        }
        else if (o.TableServiceUri is not null && o.BlobServiceUri is not null)
        {
            var credential = stamp.Value.CreateCredential();
            tables = new TableServiceClient(o.TableServiceUri, credential);
            blobs = new BlobServiceClient(o.BlobServiceUri, credential);
        }
        else
        {
            throw new InvalidOperationException(
                "Sluice:Storage needs either ConnectionString (local) or TableServiceUri and BlobServiceUri (Azure).");
        }

        Accounts = tables.GetTableClient(o.TablePrefix + "accounts");
        Keys = tables.GetTableClient(o.TablePrefix + "keys");
        Usage = tables.GetTableClient(o.TablePrefix + "usage");
        Rollups = tables.GetTableClient(o.TablePrefix + "rollups");
        Audit = tables.GetTableClient(o.TablePrefix + "audit");
        DataKeys = tables.GetTableClient(o.TablePrefix + "datakeys");
        PurgeRuns = tables.GetTableClient(o.TablePrefix + "purgeruns");
        Blobs = blobs;
        Payloads = blobs.GetBlobContainerClient(o.PayloadContainer);
        Locks = blobs.GetBlobContainerClient(o.LockContainer);
    }

    public TableClient Accounts { get; }
    public TableClient Keys { get; }
    public TableClient Usage { get; }
    public TableClient Rollups { get; }
    public TableClient Audit { get; }
    public TableClient DataKeys { get; }
    public TableClient PurgeRuns { get; }
    public BlobServiceClient Blobs { get; }
    public BlobContainerClient Payloads { get; }
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
