using System.Text.Json.Nodes;
using Sluice.Testing;

namespace Sluice.Functions.Tests;

/// <summary>local.settings.sample.json's values (what <c>func start</c> would put in the environment), pointed at the
/// test run's Azurite with tables and containers of their own.</summary>
internal static class SampleSettings
{
    /// <summary>As app settings: environment-variable names (<c>Sluice__Storage__ConnectionString</c>).</summary>
    public static async Task<Dictionary<string, string?>> AppSettingsAsync()
    {
        var values = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(PublishedApp.RepoRoot, "local.settings.sample.json")))!["Values"]!
            .AsObject().ToDictionary(v => v.Key, v => (string?)v.Value);
        var name = Azurite.UniqueName("fn");
        // The shared-key path: a separate process cannot be handed the tests' TokenCredential, and neither test here is
        // about how storage is reached (the identity path is covered in the end-to-end suite).
        values["Sluice__Storage__ConnectionString"] = await Azurite.DevConnectionStringAsync();
        values["Sluice__Storage__TablePrefix"] = name;
        values["Sluice__Storage__PayloadContainer"] = name + "-payloads";
        values["Sluice__Storage__LockContainer"] = name + "-locks";
        values["Sluice__Storage__KeyRingContainer"] = name + "-keyring";
        return values;
    }

    /// <summary>As configuration keys (<c>Sluice:Storage:ConnectionString</c>), the way the worker reads them.</summary>
    public static async Task<Dictionary<string, string?>> ConfigurationAsync() =>
        (await AppSettingsAsync()).ToDictionary(v => v.Key.Replace("__", ":", StringComparison.Ordinal), v => v.Value);
}
