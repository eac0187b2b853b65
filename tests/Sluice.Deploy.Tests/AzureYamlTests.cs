using YamlDotNet.RepresentationModel;

namespace Sluice.Deploy.Tests;

/// <summary>azure.yaml: what <c>azd up</c> provisions (bicep/main.bicep) and deploys (the Functions project).</summary>
public sealed class AzureYamlTests
{
    /// <summary>The one service; the function app carries it as its <c>azd-service-name</c> tag.</summary>
    public const string ServiceName = "api";

    private static YamlMappingNode Root()
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Repo.PathOf("azure.yaml"));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static string Scalar(YamlNode node, params string[] path) =>
        ((YamlScalarNode)path.Aggregate(node, (current, key) => ((YamlMappingNode)current)[key])).Value!;

    [Fact]
    public void HasOneFunctionService_ThatIsTheDotnetFunctionsProject()
    {
        var root = Root();
        var services = (YamlMappingNode)root["services"];

        var (name, service) = Assert.Single(services.Children);
        Assert.Equal(ServiceName, ((YamlScalarNode)name).Value);
        Assert.Equal("function", Scalar(service, "host"));
        Assert.Equal("dotnet", Scalar(service, "language"));
        var project = Path.GetFullPath(Repo.PathOf(Scalar(service, "project")));
        Assert.Equal(Repo.PathOf("src", "Sluice.Functions"), project.TrimEnd(Path.DirectorySeparatorChar));
        var csproj = File.ReadAllText(Assert.Single(Directory.GetFiles(project, "*.csproj")));
        Assert.Contains("<AzureFunctionsVersion>v4</AzureFunctionsVersion>", csproj, StringComparison.Ordinal);
    }

    [Fact]
    public void Infra_IsTheBicepFolder()
    {
        var root = Root();

        Assert.Matches("^[a-z0-9-]+$", Scalar(root, "name"));
        Assert.Equal("bicep", Scalar(root, "infra", "provider"));
        Assert.Equal("bicep", Scalar(root, "infra", "path"));
        Assert.True(File.Exists(Repo.PathOf(Scalar(root, "infra", "path"), $"{Scalar(root, "infra", "module")}.bicep")));
        Assert.True(File.Exists(Repo.PathOf(Scalar(root, "infra", "path"), $"{Scalar(root, "infra", "module")}.parameters.json")));
    }

    [Fact]
    public void Hooks_IfAny_RunOnBothBashAndPowerShell()
    {
        var root = Root();
        var hooks = root.Children.TryGetValue(new YamlScalarNode("hooks"), out var node) ? (YamlMappingNode)node : new YamlMappingNode();

        Assert.All(hooks.Children, hook =>
        {
            var body = (YamlMappingNode)hook.Value;
            Assert.Equal("sh", Scalar(body, "posix", "shell"));
            Assert.Equal("pwsh", Scalar(body, "windows", "shell"));
        });
    }
}
