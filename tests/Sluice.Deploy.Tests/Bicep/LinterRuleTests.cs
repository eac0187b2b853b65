using System.Text.Json.Nodes;

namespace Sluice.Deploy.Tests.Bicep;

/// <summary>
/// bicepconfig.json turns the rules that matter into errors. A misspelled rule name is silently ignored, so each
/// rule set to error is proven to fire: LintProbes/&lt;rule&gt;.bicep breaks exactly that rule, and linting it with
/// the real bicepconfig.json must report exactly that rule, as an error, and nothing else.
/// </summary>
public sealed class LinterRuleTests
{
    private static readonly string s_config = Path.Combine(Repo.BicepDirectory, "bicepconfig.json");
    private static readonly string s_probes = Repo.PathOf("tests", "Sluice.Deploy.Tests", "LintProbes");

    // All probes in one CLI run: one process start instead of one per rule.
    private static readonly Lazy<Task<BicepResult>> s_lint = new(() =>
        BicepCli.RunAsync(s_probes, "lint", "--pattern", "*.bicep", "--config", s_config));

    private static JsonObject Rules => JsonNode.Parse(File.ReadAllText(s_config))!["analyzers"]!["core"]!["rules"]!.AsObject();

    private static IReadOnlyList<string> ErrorRules => [.. Rules
        .Where(rule => (string)rule.Value!["level"]! == "error")
        .Select(rule => rule.Key)];

    public static TheoryData<string> RulesSetToError => [.. ErrorRules];

    [Theory]
    [MemberData(nameof(RulesSetToError))]
    public async Task RuleSetToError_FiresOnItsProbe_AndNothingElseDoes(string rule)
    {
        var probe = Path.Combine(s_probes, $"{rule}.bicep");
        Assert.True(File.Exists(probe), $"No probe for {rule}: add LintProbes/{rule}.bicep that breaks only this rule.");

        var run = await s_lint.Value;

        var diagnostics = run.Diagnostics.Where(d => Path.GetFullPath(d.File) == Path.GetFullPath(probe)).ToList();
        var only = Assert.Single(diagnostics);
        Assert.Equal(rule, only.Code);
        Assert.Equal("Error", only.Level);
    }

    [Fact]
    public void EveryProbe_BelongsToARuleSetToError()
    {
        var rules = ErrorRules.ToHashSet();

        Assert.All(Directory.GetFiles(s_probes, "*.bicep"), probe => Assert.Contains(Path.GetFileNameWithoutExtension(probe), rules));
    }

    [Fact]
    public void RulesThatNeedTheNetwork_AreOff()
    {
        // They compare with the newest API and module versions, which only a registry query knows.
        Assert.Equal("off", (string)Rules["use-recent-api-versions"]!["level"]!);
        Assert.Equal("off", (string)Rules["use-recent-module-versions"]!["level"]!);
    }
}
