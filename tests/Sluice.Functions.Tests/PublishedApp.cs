using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Sluice.Functions.Tests;

/// <summary>
/// <c>dotnet publish src/Sluice.Functions</c> into a temporary folder, once per test run on first use: the folder azd
/// zips and deploys. It publishes the build this test run already made (<c>--no-build</c>, same configuration), so
/// the cost is a copy, not a compile.
/// </summary>
internal static class PublishedApp
{
    private static readonly Lazy<Task<string>> s_directory = new(PublishAsync);

    public static string RepoRoot { get; } = Metadata("RepoRoot");

    public static Task<string> DirectoryAsync() => s_directory.Value;

    public static async Task<JsonNode> JsonAsync(string file) =>
        JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(await DirectoryAsync(), file)))!;

    private static async Task<string> PublishAsync()
    {
        var output = Directory.CreateTempSubdirectory("sluice-functions-publish-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(output, recursive: true);
        var project = Path.Combine(RepoRoot, "src", "Sluice.Functions", "Sluice.Functions.csproj");
        var run = await DotnetProcess.RunAsync(
            ["publish", project, "--configuration", Metadata("Configuration"), "--no-build", "--output", output, "--nologo"],
            environment: new Dictionary<string, string?>(), timeout: TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, $"dotnet publish failed:{Environment.NewLine}{run}");
        return output;
    }

    private static string Metadata(string key) =>
        typeof(PublishedApp).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}

/// <summary>A <c>dotnet</c> child process with a bounded run time; killed (and reported) if it overruns.</summary>
internal static class DotnetProcess
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        public override string ToString() => $"exit {ExitCode}{Environment.NewLine}{StandardOutput}{Environment.NewLine}{StandardError}";
    }

    public static async Task<Result> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout)
    {
        // The dotnet host running these tests (set by the CLI for its children), so the app runs on the same runtime.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"dotnet {string.Join(' ', start.ArgumentList)} did not exit within {timeout}:{Environment.NewLine}{await stdout}{Environment.NewLine}{await stderr}");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
