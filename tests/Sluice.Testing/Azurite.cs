using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Sluice.Host.Dev;

namespace Sluice.Testing;

/// <summary>
/// The tests' storage: in-memory Azurite, started on first use on free ports and stopped when the test process exits
/// (disposed on <see cref="AppDomain.ProcessExit"/>; a test host that is killed instead runs no handler, and its
/// Azurite stops itself when its standard input closes). Tests isolate themselves by unique table prefixes and
/// container names, never by a fake of storage.
/// <list type="bullet">
/// <item>By default the Azure path: Azurite over HTTPS with <c>--oauth basic</c>, reached with bearer tokens
/// (<see cref="AccessAsync"/>), as the app reaches storage with its managed identity.</item>
/// <item>For the few tests of the local path, a second Azurite exactly as <c>dev</c> runs it: plain HTTP and a
/// shared-key connection string (<see cref="DevConnectionStringAsync"/>), started only if such a test runs.</item>
/// </list>
/// </summary>
public static class Azurite
{
    private static readonly Lazy<Task<AzuriteProcess>> s_identity = new(() => StartAsync(TestCertificate.AzuriteFiles));
    private static readonly Lazy<Task<AzuriteProcess>> s_dev = new(() => StartAsync(tls: null));
    private static readonly Lazy<Task<AzuriteAccess>> s_reader = new(AccessAsync);

    /// <summary>A new access to the identity-path Azurite, with its own request record.</summary>
    public static async Task<AzuriteAccess> AccessAsync() => new(await s_identity.Value);

    /// <summary>The connection string of the dev-path Azurite (HTTP, shared key), as <c>dev</c> configures the host.</summary>
    public static async Task<string> DevConnectionStringAsync() => (await s_dev.Value).ConnectionString;

    /// <summary>The tests' own table client on the identity-path Azurite, for reading what apps wrote.</summary>
    public static async Task<TableServiceClient> TablesAsync() => (await s_reader.Value).Tables();

    public static async Task<BlobServiceClient> BlobsAsync() => (await s_reader.Value).Blobs();

    /// <summary>A name unique to one test, valid as a table prefix and inside container names.</summary>
    public static string UniqueName(string prefix = "t") => prefix + Guid.NewGuid().ToString("N")[..12];

    private static async Task<AzuriteProcess> StartAsync(AzuriteTls? tls)
    {
        var process = await AzuriteProcess.StartAsync(location: null, tls);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => process.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return process;
    }
}
