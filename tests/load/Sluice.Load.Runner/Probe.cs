using System.Globalization;

namespace Sluice.Load;

/// <summary>The counters the probe (tests/load/Sluice.Load.Probe, a startup hook) last wrote for a process: cumulative
/// totals, so a run's share is the difference of two reads.</summary>
internal sealed class Probe(Dictionary<string, double> values)
{
    /// <summary>The probe assembly, built beside the runner.</summary>
    public static string HookDll => Path.Combine(RepoRootPath, "tests", "load", "Sluice.Load.Probe", "bin", "Release", "net10.0", "Sluice.Load.Probe.dll");

    private static string RepoRootPath => Sluice.Host.Dev.RepoRoot.Find();

    public static Probe Read(string? file)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        if (file is null)
        {
            return new Probe(values);
        }
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                foreach (var pair in File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var at = pair.IndexOf('=', StringComparison.Ordinal);
                    if (at > 0 && double.TryParse(pair[(at + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    {
                        values[pair[..at]] = v;
                    }
                }
                break;
            }
            catch (IOException)
            {
                Thread.Sleep(10);
            }
        }
        return new Probe(values);
    }

    public bool IsEmpty => values.Count == 0;

    public double Value(string name) => values.GetValueOrDefault(name);

    /// <summary>What a counter grew by since <paramref name="before"/>.</summary>
    public double Since(Probe before, string name) => Value(name) - before.Value(name);
}
