using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Deploy.Tests.Bicep;

namespace Sluice.Deploy.Tests;

/// <summary>docs/performance.md derives the Flex instance's size and HTTP concurrency from load runs and prices them;
/// what azd deploys by default is read from the same sentence, so the doc and the template cannot drift apart.</summary>
public sealed partial class PerformanceDocTests
{
    [Fact]
    public async Task DefaultDeployment_HasTheConcurrencyAndMemoryTheCostModelDocuments()
    {
        var doc = File.ReadAllText(Repo.PathOf("docs", "performance.md"));
        var documented = Defaults().Match(doc);
        Assert.True(documented.Success, "docs/performance.md does not state the defaults as \"Bicep defaults: `httpPerInstanceConcurrency` = N, `instanceMemoryMB` = M\".");

        // The first provision takes every value azd does not set from the template's and main.parameters.json's defaults.
        var (stamp, _) = await Deployments.FirstUsProvision;
        var scale = stamp.FunctionApp["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!;

        Assert.Equal(int.Parse(documented.Groups["concurrency"].Value, CultureInfo.InvariantCulture), (int)scale["triggers"]!["http"]!["perInstanceConcurrency"]!);
        Assert.Equal(int.Parse(documented.Groups["memory"].Value, CultureInfo.InvariantCulture), (int)scale["instanceMemoryMB"]!);
    }

    [GeneratedRegex(@"Bicep defaults: `httpPerInstanceConcurrency` = (?<concurrency>\d+), `instanceMemoryMB` = (?<memory>\d+)")]
    private static partial Regex Defaults();
}
