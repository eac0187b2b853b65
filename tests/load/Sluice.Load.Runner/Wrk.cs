using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Load;

/// <summary>One wrk run's figures: throughput, latency percentiles (wrk's HdrHistogram), completed requests and errors.</summary>
internal sealed record WrkResult(double Rps, double P50Ms, double P99Ms, long Requests, long Errors)
{
    /// <summary>wrk's own CPU time (user + system) over the run, in seconds.</summary>
    public double CpuSeconds { get; init; }
}

/// <summary>Runs Debian's <c>wrk</c> with <c>tests/load/chat.lua</c> and reads its report.</summary>
internal static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(string script, Uri baseUrl, int connections, TimeSpan duration,
        IDictionary<string, string> env)
    {
        // Through bash, whose `times` then prints wrk's CPU time (its children's line): /proc has nothing once wrk exits.
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-c", "wrk \"$@\"; s=$?; times >&2; exit $s", "wrk",
            "-t", Math.Min(connections, 2).ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s",
            "--timeout", "10s", "--latency", "-s", script, new Uri(baseUrl, "v1/chat/completions").ToString()])
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env)
        {
            start.Environment[k] = v;
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk failed: {errors}{output}");
        }
        return Parse(output) with { CpuSeconds = ChildrenCpuSeconds(errors) };
    }

    /// <summary>The second line `times` prints (children's user and system time, e.g. <c>0m1.234s 0m0.567s</c>), in seconds.</summary>
    private static double ChildrenCpuSeconds(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            return double.NaN;
        }
        return Times().Matches(lines[^1]).Sum(m =>
            double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 60 + double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"(\d+)m([\d.]+)s")]
    private static partial Regex Times();

    internal static WrkResult Parse(string output)
    {
        var rps = double.Parse(Rps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var requests = long.Parse(Requests().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        long errors = 0;
        if (Non2xx().Match(output) is { Success: true } n)
        {
            errors += long.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        if (SocketErrors().Match(output) is { Success: true } s)
        {
            for (var i = 1; i <= 4; i++)
            {
                errors += long.Parse(s.Groups[i].Value, CultureInfo.InvariantCulture);
            }
        }
        return new WrkResult(rps, Percentile(output, "50"), Percentile(output, "99"), requests, errors);
    }

    private static double Percentile(string output, string p)
    {
        var m = Regex.Match(output, @"^\s+" + p + @"%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => value / 1000, "ms" => value, _ => value * 1000 };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex Rps();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
