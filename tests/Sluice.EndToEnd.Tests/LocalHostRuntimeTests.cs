using System.Text.Json;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// The local host's runtime settings are what its project file means them to be. A misspelt MSBuild property is
/// silently ignored (the host once ran server GC, and 20-30 MiB more memory, under a property named
/// <c>ServerGarbageCollector</c>), so the generated runtimeconfig is checked, not the project file.
/// </summary>
public sealed class LocalHostRuntimeTests
{
    [Fact]
    public void TheLocalHost_RunsWorkstationGc_AndIdleThreadPoolWorkersDoNotSpin()
    {
        var properties = ConfigProperties();

        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }

    [Fact]
    public void TheLocalHost_KeepsDynamicPgo()
    {
        // Measured both ways (docs/performance.md, "Peak RSS"): off saves memory, on keeps the tails lower.
        var properties = ConfigProperties();

        var disabled = properties.TryGetProperty("System.Runtime.TieredPGO", out var pgo) && !pgo.GetBoolean();
        Assert.False(disabled, "The local host's runtimeconfig turns dynamic PGO off");
    }

    /// <summary>The <c>configProperties</c> of the host's generated runtimeconfig, as the runtime reads them.</summary>
    private static JsonElement ConfigProperties()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Sluice.Host.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        return config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }
}
