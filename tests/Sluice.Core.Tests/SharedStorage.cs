using Sluice.Testing;

namespace Sluice.Core.Tests;

/// <summary>Settings for a second app on the same tables and containers as <paramref name="app"/> (another instance
/// of the same stamp), plus any overrides.</summary>
internal static class SharedStorage
{
    public static Dictionary<string, string?> With(SluiceApplication app, params (string Key, string? Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sluice:Storage:TablePrefix"] = app.Name,
            ["Sluice:Storage:PayloadContainer"] = app.Name + "-payloads",
            ["Sluice:Storage:LockContainer"] = app.Name + "-locks",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }
        return settings;
    }
}
