using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Sluice.Deploy.Tests.Bicep;

/// <summary>One diagnostic line of the Bicep CLI: <c>file(line,column) : Level code: message</c>.</summary>
internal sealed record BicepDiagnostic(string File, int Line, int Column, string Level, string Code, string Message)
{
    public override string ToString() => $"{Path.GetFileName(File)}({Line},{Column}) {Level} {Code}: {Message}";
}

internal sealed record BicepResult(int ExitCode, string StandardOutput, string StandardError, IReadOnlyList<BicepDiagnostic> Diagnostics)
{
    public override string ToString() => $"exit {ExitCode}{Environment.NewLine}{StandardError}";
}

/// <summary>
/// The Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64 (restored by this project; the build
/// passes the binary's path in as assembly metadata). The binary carries the resource type data, so build, lint and
/// snapshot run offline.
/// </summary>
internal static partial class BicepCli
{
    private static readonly Lazy<string> s_path = new(Locate);
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    public static async Task<BicepResult> RunAsync(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(s_path.Value)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bicep did not start");
        using var timeout = new CancellationTokenSource(s_timeout);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} ran longer than {s_timeout}.");
        }

        var (stdout, stderr) = (await output, await error);
        var diagnostics = $"{stdout}\n{stderr}".Split('\n')
            .Select(line => DiagnosticLine().Match(line.TrimEnd('\r')))
            .Where(match => match.Success)
            .Select(match => new BicepDiagnostic(match.Groups["file"].Value, int.Parse(match.Groups["line"].Value),
                int.Parse(match.Groups["column"].Value), match.Groups["level"].Value, match.Groups["code"].Value, match.Groups["message"].Value))
            .ToList();
        return new BicepResult(process.ExitCode, stdout, stderr, diagnostics);
    }

    private static string Locate()
    {
        var path = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == "BicepPath")?.Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The Bicep CLI is not at '{path}'. It comes from the package Azure.Bicep.CommandLine.linux-x64: restore this project.");
        }

        // NuGet extracts it as 0744; another user (or a copy without the build's chmod) needs the execute bits.
        const UnixFileMode execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & execute) != execute)
        {
            try
            {
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) | execute);
            }
            catch (UnauthorizedAccessException)
            {
                // Not the owner: the build's chmod must have done it, or the run fails with a clear error below.
            }
        }
        return path;
    }

    [GeneratedRegex(@"^(?<file>.+?)\((?<line>\d+),(?<column>\d+)\) : (?<level>Error|Warning|Info) (?<code>[^:\s]+): (?<message>.*)$")]
    private static partial Regex DiagnosticLine();
}
