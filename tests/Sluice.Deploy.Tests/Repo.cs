namespace Sluice.Deploy.Tests;

/// <summary>Paths in the checkout under test: the directory above the test output that holds Functions.sln.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string BicepDirectory => Path.Combine(Root, "bicep");

    public static string MainBicep => Path.Combine(BicepDirectory, "main.bicep");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Functions.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("No Functions.sln above the test output directory.");
    }
}
