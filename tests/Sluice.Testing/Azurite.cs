using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Sluice.Host.Dev;

namespace Sluice.Testing;

/// <summary>
/// One in-memory Azurite per test process, started on first use on free ports and killed when the process ends.
/// Tests isolate themselves by unique table prefixes and container names, never by a fake of storage.
/// </summary>
public static class Azurite
{
    private static readonly Lazy<Task<AzuriteProcess>> s_instance = new(StartAsync);

    public static async Task<string> ConnectionStringAsync() => (await s_instance.Value).ConnectionString;

    public static async Task<TableServiceClient> TablesAsync() => new(await ConnectionStringAsync());

    public static async Task<BlobServiceClient> BlobsAsync() => new(await ConnectionStringAsync());

    /// <summary>A name unique to one test, valid as a table prefix and inside container names.</summary>
    public static string UniqueName(string prefix = "t") => prefix + Guid.NewGuid().ToString("N")[..12];

    private static async Task<AzuriteProcess> StartAsync()
    {
        var process = await AzuriteProcess.StartAsync(location: null);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => process.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return process;
    }
}
