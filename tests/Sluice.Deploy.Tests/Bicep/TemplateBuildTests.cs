using System.Text.Json.Nodes;

namespace Sluice.Deploy.Tests.Bicep;

public sealed class TemplateBuildTests
{
    [Fact]
    public async Task Build_CompilesMainBicep_WithoutASingleDiagnostic()
    {
        var (run, template) = await Deployments.Build;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.StandardError.Trim());
        Assert.EndsWith("subscriptionDeploymentTemplate.json#", (string)template["$schema"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lint_ReportsNothing()
    {
        var run = await Deployments.Lint;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.StandardError.Trim());
    }

    [Fact]
    public void Templates_UseNoRegistryModules_WhichCannotBeRestoredOffline()
    {
        var files = Directory.GetFiles(Repo.BicepDirectory, "*.bicep", SearchOption.AllDirectories);

        Assert.NotEmpty(files);
        Assert.All(files, file =>
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("'br:", text, StringComparison.Ordinal);
            Assert.DoesNotContain("'br/", text, StringComparison.Ordinal);
            Assert.DoesNotContain("'ts:", text, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task SecretInputs_AreSecureParameters_AndNoOutputCarriesOne()
    {
        var (_, template) = await Deployments.Build;
        var parameters = template["parameters"]!.AsObject();

        foreach (var secret in new[] { "payloadMasterKey", "operatorSecret", "secretEntropy" })
        {
            Assert.Equal("securestring", (string)parameters[secret]!["type"]!);
            Assert.Null(parameters[secret]!["defaultValue"]);
        }
        Assert.All(template["outputs"]!.AsObject(), output => Assert.DoesNotContain("secure", (string)output.Value!["type"]!, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task LifecycleTierList_IsCappedAtThe100RulesAPolicyHolds()
    {
        var (_, template) = await Deployments.Build;
        var tiers = template["parameters"]!["lifecycleTierDays"]!;

        Assert.Equal("array", (string)tiers["type"]!);
        Assert.Equal(1, (int)tiers["minLength"]!);
        Assert.Equal(100, (int)tiers["maxLength"]!);
        var item = template["definitions"]![((string)tiers["items"]!["$ref"]!).Split('/')[^1]]!;
        Assert.Equal(1, (int)item["minValue"]!);
        Assert.Equal(365, (int)item["maxValue"]!);
    }

    [Fact]
    public void ParametersFile_MapsTheAzdEnvironment_WithDefaultsWhereNothingIsSet()
    {
        var parameters = Deployments.ParametersFile["parameters"]!.AsObject();
        string Value(string name) => (string)parameters[name]!["value"]!;

        Assert.Equal("${AZURE_ENV_NAME}", Value("environmentName"));
        // Not ${AZURE_LOCATION=westus}: a subscription-scope deployment takes its own location from AZURE_LOCATION,
        // which azd sets only when it asks for the region (with westus preselected, see main.bicep).
        Assert.Equal("${AZURE_LOCATION}", Value("location"));
        Assert.Equal("${AZURE_PRINCIPAL_ID}", Value("principalId"));
        Assert.Equal("${SLUICE_DATA_REGION=us}", Value("dataRegion"));
        Assert.StartsWith("$(secretOrRandomPassword ${AZURE_KEY_VAULT_NAME} ", Value("payloadMasterKey"), StringComparison.Ordinal);
        Assert.StartsWith("$(secretOrRandomPassword ${AZURE_KEY_VAULT_NAME} ", Value("operatorSecret"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegionPrompt_PreselectsWestus()
    {
        var (_, template) = await Deployments.Build;
        var azd = template["parameters"]!["location"]!["metadata"]!["azd"]!;

        Assert.Equal(("location", "westus"), ((string)azd["type"]!, (string)azd["default"]!));
        Assert.Null(template["parameters"]!["location"]!["defaultValue"]);
    }

    [Fact]
    public async Task ParametersFile_NamesOnlyParametersTheTemplateDeclares()
    {
        var (_, template) = await Deployments.Build;
        var declared = template["parameters"]!.AsObject().Select(p => p.Key).ToHashSet();

        Assert.All(Deployments.ParametersFile["parameters"]!.AsObject(), p => Assert.Contains(p.Key, declared));
    }
}
