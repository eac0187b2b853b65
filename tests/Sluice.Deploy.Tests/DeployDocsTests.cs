using System.Text.RegularExpressions;
using Sluice.Deploy.Tests.Bicep;

namespace Sluice.Deploy.Tests;

/// <summary>The deploy walk-through (docs/deploy.md, "Deploy to Azure") and the README's short version of it name only
/// things the templates and the code have.</summary>
public sealed partial class DeployDocsTests
{
    public static TheoryData<string> Documents => ["docs/deploy.md", "README.md"];

    private static string Section(string document)
    {
        var text = File.ReadAllText(Repo.PathOf(document.Split('/')));
        var start = text.IndexOf("## Deploy to Azure", StringComparison.Ordinal);
        Assert.True(start >= 0, $"{document} has no \"Deploy to Azure\" section.");
        var end = text.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? text[start..] : text[start..end];
    }

    [Fact]
    public void ShowsUp_AndTheSecondRegionAsASecondEnvironment()
    {
        var section = Section("docs/deploy.md");

        Assert.Contains("azd up", section, StringComparison.Ordinal);
        Assert.Contains("azd env new sluice-eu\nazd env set AZURE_LOCATION germanywestcentral\nazd env set SLUICE_DATA_REGION eu\nazd up", section, StringComparison.Ordinal);
        Assert.Contains("az functionapp config appsettings set", section, StringComparison.Ordinal);
        Assert.Contains("cp local.settings.sample.json src/Sluice.Functions/local.settings.json", section, StringComparison.Ordinal);
    }

    [Fact]
    public void Readme_ShowsUp_AndPointsToTheWalkThrough()
    {
        var section = Section("README.md");

        Assert.Contains("\nazd up", section, StringComparison.Ordinal);
        Assert.Contains("(docs/deploy.md)", section, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task EnvironmentValues_ItNames_AreParametersOrOutputs(string document)
    {
        var (_, template) = await Deployments.Build;
        var known = Regex.Matches(File.ReadAllText(Path.Combine(Repo.BicepDirectory, "main.parameters.json")), @"\$\{(\w+)")
            .Select(m => m.Groups[1].Value)
            .Concat(template["outputs"]!.AsObject().Select(o => o.Key))
            .ToHashSet();

        var named = EnvironmentValue().Matches(Section(document)).Select(m => m.Value).Distinct();

        Assert.All(named, name => Assert.Contains(name, known));
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task SettingsAndParameters_ItNames_Exist(string document)
    {
        var (_, template) = await Deployments.Build;
        var parameters = template["parameters"]!.AsObject().Select(p => p.Key).ToHashSet();
        var settings = BoundSettings.All.Select(s => s.AppSetting).Append("Sluice__Payloads__MasterKey").ToHashSet();
        var section = Section(document);

        Assert.All(AppSetting().Matches(section).Select(m => m.Value).Where(s => !s.StartsWith("Sluice__Routing__Routes__", StringComparison.Ordinal)),
            setting => Assert.Contains(setting, settings));
        Assert.All(JsonParameter().Matches(section).Select(m => m.Groups[1].Value), parameter => Assert.Contains(parameter, parameters));
        Assert.Contains("lifecycleTierDays", parameters);
    }

    [GeneratedRegex(@"\b(?:AZURE|SLUICE)_[A-Z_]+\b")]
    private static partial Regex EnvironmentValue();

    [GeneratedRegex(@"\bSluice__\w+")]
    private static partial Regex AppSetting();

    // "name": { "value": ... } in the JSON snippets.
    [GeneratedRegex(@"""(\w+)"": \{ ""value""")]
    private static partial Regex JsonParameter();
}
