using System.Collections.Frozen;

namespace Sluice.Dashboard;

/// <summary>The dashboard's static files, embedded in the assembly (Dashboard/Assets/*): the deployment serves every
/// byte a page loads, so the dashboard works in an isolated network and tells nobody else who opened it.</summary>
internal static class DashboardAssets
{
    public const string Stylesheet = "dashboard.css";

    private static readonly FrozenDictionary<string, Asset> s_assets = Load();

    public static Asset? Find(string file) => s_assets.GetValueOrDefault(file);

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        const string prefix = "Sluice.Dashboard.Assets.";
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var file = name[prefix.Length..];
            assets[file] = new Asset(buffer.ToArray(), Path.GetExtension(file) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            });
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    internal sealed record Asset(byte[] Content, string ContentType);
}
