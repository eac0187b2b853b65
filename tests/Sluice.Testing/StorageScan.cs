using System.Text;
using Azure.Data.Tables;

namespace Sluice.Testing;

/// <summary>
/// Searches the whole shared Azurite (every table, every entity property, every blob's raw bytes) for a string,
/// so a test can prove that some text was stored nowhere. Tests use unique strings, so other tests' data in the
/// same emulator cannot match.
/// </summary>
public static class StorageScan
{
    /// <summary>Where <paramref name="needle"/> occurs: <c>table/PK/RK/property</c> or <c>container/blob</c>.</summary>
    public static async Task<List<string>> FindAsync(string needle, Func<string, bool>? skipBlob = null)
    {
        var bytes = Encoding.UTF8.GetBytes(needle);
        var found = new List<string>();
        var tables = await Azurite.TablesAsync();
        await foreach (var table in tables.QueryAsync())
        {
            var client = tables.GetTableClient(table.Name);
            await foreach (var e in client.QueryAsync<TableEntity>())
            {
                foreach (var (key, value) in e)
                {
                    var hit = value switch
                    {
                        string s => s.Contains(needle, StringComparison.Ordinal),
                        byte[] b => b.AsSpan().IndexOf(bytes) >= 0,
                        BinaryData d => d.ToMemory().Span.IndexOf(bytes) >= 0,
                        _ => false,
                    };
                    if (hit || e.PartitionKey.Contains(needle, StringComparison.Ordinal) || e.RowKey.Contains(needle, StringComparison.Ordinal))
                    {
                        found.Add($"{table.Name}/{e.PartitionKey}/{e.RowKey}/{key}");
                    }
                }
            }
        }
        var blobs = await Azurite.BlobsAsync();
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            var client = blobs.GetBlobContainerClient(container.Name);
            await foreach (var blob in client.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.All, Azure.Storage.Blobs.Models.BlobStates.None, null, default))
            {
                var name = $"{container.Name}/{blob.Name}";
                if (name.Contains(needle, StringComparison.Ordinal)
                    || blob.Metadata.Any(m => m.Value.Contains(needle, StringComparison.Ordinal))
                    || blob.Tags?.Any(t => t.Value.Contains(needle, StringComparison.Ordinal)) == true)
                {
                    found.Add(name + " (name, metadata or tags)");
                }
                if (skipBlob?.Invoke(name) == true)
                {
                    continue;
                }
                var content = (await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content;
                if (content.ToMemory().Span.IndexOf(bytes) >= 0)
                {
                    found.Add(name);
                }
            }
        }
        return found;
    }
}
