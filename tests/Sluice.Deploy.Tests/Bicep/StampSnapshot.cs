using System.Text.Json.Nodes;

namespace Sluice.Deploy.Tests.Bicep;

/// <summary>
/// What <c>bicep snapshot</c> predicts one deployment of <c>main.bicep</c> would create: every resource of every module
/// with template expressions evaluated, except values only Azure knows at run time (<c>reference(...)</c>, secure
/// parameters), which stay as expression text.
/// </summary>
internal sealed class StampSnapshot(JsonObject snapshot, JsonObject parameters)
{
    /// <summary>The same predicted deployment, described with other parameter values (see Deployments.EuReprovision).</summary>
    public StampSnapshot(StampSnapshot snapshot, JsonObject parameters)
        : this(snapshot._snapshot, parameters)
    {
    }

    private readonly JsonObject _snapshot = snapshot;

    /// <summary>The parameter values the snapshot was taken with (as azd would have passed them).</summary>
    public JsonObject Parameters { get; } = parameters;

    public IReadOnlyList<JsonObject> Resources { get; } = [.. snapshot["predictedResources"]!.AsArray().Select(r => r!.AsObject())];

    public JsonObject Outputs { get; } = snapshot["outputs"]!.AsObject();

    public IEnumerable<JsonObject> OfType(string type) =>
        Resources.Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase));

    public JsonObject Single(string type) => Assert.Single(OfType(type));

    public string Output(string name) => (string)Outputs[name]!;

    public JsonObject FunctionApp => Single("Microsoft.Web/sites");

    /// <summary>The function app's settings, name to value.</summary>
    public IReadOnlyDictionary<string, string> AppSettings =>
        FunctionApp["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
            .ToDictionary(s => (string)s!["name"]!, s => (string)s!["value"]!, StringComparer.Ordinal);

    /// <summary>Runs <c>bicep snapshot</c> for <paramref name="parameters"/> through a throw-away .bicepparam file.</summary>
    public static async Task<StampSnapshot> TakeAsync(JsonObject parameters, string deploymentLocation)
    {
        var directory = Directory.CreateTempSubdirectory("sluice-deploy-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "resolved.json"), new JsonObject { ["p"] = parameters.DeepClone() }.ToJsonString());
            var main = Path.GetRelativePath(directory.FullName, Repo.MainBicep).Replace('\\', '/');
            var lines = new List<string> { $"using '{main}'", "var p = loadJsonContent('resolved.json').p" };
            lines.AddRange(parameters.Select(parameter => $"param {parameter.Key} = p.{parameter.Key}"));
            await File.WriteAllLinesAsync(Path.Combine(directory.FullName, "stamp.bicepparam"), lines);

            var run = await BicepCli.RunAsync(directory.FullName, "snapshot", "stamp.bicepparam", "--mode", "overwrite",
                "--subscription-id", Deployments.SubscriptionId, "--tenant-id", Deployments.TenantId,
                "--location", deploymentLocation, "--deployment-name", "sluice");
            Assert.True(run.ExitCode == 0 && run.Diagnostics.Count == 0, $"bicep snapshot failed: {run}");

            var snapshot = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory.FullName, "stamp.snapshot.json")))!.AsObject();
            Assert.Empty(snapshot["diagnostics"]!.AsArray());
            return new StampSnapshot(snapshot, parameters);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
