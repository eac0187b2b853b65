using System.Reflection;
using System.Text.Json.Nodes;
using Sluice.Testing;

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
        var run = await ProcessRun.StartAsync(ProcessRun.Dotnet,
            ["publish", project, "--configuration", Metadata("Configuration"), "--no-build", "--output", output, "--nologo"],
            new Dictionary<string, string?>(), TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, $"dotnet publish failed:{Environment.NewLine}{run}");
        return output;
    }

    private static string Metadata(string key) =>
        typeof(PublishedApp).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
