using System.Text.Json.Nodes;

namespace Sluice.Deploy.Tests.Bicep;

/// <summary>
/// The Bicep CLI runs every test shares, each started once per test run on first use: the build of main.bicep (the
/// ARM JSON), its lint, and snapshots of three deployments resolved from main.parameters.json the way azd would.
/// </summary>
internal static class Deployments
{
    public const string SubscriptionId = "6f1b8c3e-0000-4000-8000-00000000a2d1";
    public const string TenantId = "6f1b8c3e-0000-4000-8000-00000000ce17";
    public const string PrincipalId = "6f1b8c3e-0000-4000-8000-000000005e1f";

    private static readonly Lazy<Task<(BicepResult Run, JsonObject Template)>> s_build = new(BuildAsync);
    private static readonly Lazy<Task<BicepResult>> s_lint = new(() => BicepCli.RunAsync(Repo.BicepDirectory, "lint", "main.bicep"));
    private static readonly Lazy<Task<(StampSnapshot Stamp, FakeVault Vault)>> s_firstUs = new(() => ProvisionAsync(new()
    {
        ["AZURE_ENV_NAME"] = "sluice",
    }));
    private static readonly Lazy<Task<(StampSnapshot Stamp, FakeVault Vault)>> s_eu = new(EuAsync);
    private static readonly Lazy<Task<StampSnapshot>> s_customised = new(CustomisedAsync);

    /// <summary><c>bicep build main.bicep --stdout</c> and the ARM JSON it printed.</summary>
    public static Task<(BicepResult Run, JsonObject Template)> Build => s_build.Value;

    /// <summary><c>bicep lint main.bicep</c> with bicep/bicepconfig.json.</summary>
    public static Task<BicepResult> Lint => s_lint.Value;

    /// <summary>A first <c>azd up</c> with nothing set but the environment name: the default US stamp.</summary>
    public static Task<(StampSnapshot Stamp, FakeVault Vault)> FirstUsProvision => s_firstUs.Value;

    /// <summary>The second region of docs/deploy.md (<c>azd env new sluice-eu</c>, AZURE_LOCATION germanywestcentral,
    /// SLUICE_DATA_REGION eu) with a bigger, smaller-scale-out app, provisioned a second time: its outputs are in the
    /// azd environment and its vault holds the secrets of the first provision.</summary>
    public static Task<(StampSnapshot Stamp, FakeVault Vault)> EuReprovision => s_eu.Value;

    /// <summary>The EU stamp with a provider route, its key from Key Vault, and tuned settings.</summary>
    public static Task<StampSnapshot> Customised => s_customised.Value;

    public static JsonObject ParametersFile => JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.BicepDirectory, "main.parameters.json")))!.AsObject();

    private static async Task<(BicepResult, JsonObject)> BuildAsync()
    {
        var run = await BicepCli.RunAsync(Repo.BicepDirectory, "build", "main.bicep", "--stdout");
        return (run, run.ExitCode == 0 ? JsonNode.Parse(run.StandardOutput)!.AsObject() : []);
    }

    private static async Task<(StampSnapshot, FakeVault)> ProvisionAsync(Dictionary<string, string> environment)
    {
        var (parameters, vault) = await ResolveAsync(environment);
        return (await StampSnapshot.TakeAsync(parameters, (string)parameters["location"]!), vault);
    }

    private static async Task<(JsonObject Parameters, FakeVault Vault)> ResolveAsync(Dictionary<string, string> environment, FakeVault? vault = null)
    {
        vault ??= new FakeVault();
        var (_, template) = await Build;
        // azd supplies these two from the signed-in principal, whatever the environment holds.
        environment["AZURE_PRINCIPAL_ID"] = PrincipalId;
        environment["AZURE_PRINCIPAL_TYPE"] = "User";
        return (AzdParameters.Resolve(ParametersFile, template, environment, vault), vault);
    }

    private static Dictionary<string, string> EuEnvironment() => new()
    {
        ["AZURE_ENV_NAME"] = "sluice-eu",
        ["AZURE_LOCATION"] = "germanywestcentral",
        ["SLUICE_DATA_REGION"] = "eu",
        ["SLUICE_INSTANCE_MEMORY_MB"] = "4096",
        ["SLUICE_MAXIMUM_INSTANCE_COUNT"] = "40",
    };

    /// <summary>The EU stamp, then azd resolving its parameters a second time: the outputs of the first provision are
    /// in the environment and the vault holds the secrets it wrote. (A second snapshot would predict the same
    /// resources: the secrets are secure values, which a snapshot never evaluates.)</summary>
    private static async Task<(StampSnapshot, FakeVault)> EuAsync()
    {
        var (stamp, _) = await ProvisionAsync(EuEnvironment());

        var environment = EuEnvironment();
        foreach (var (name, value) in stamp.Outputs)
        {
            if (value is JsonValue v && v.TryGetValue(out string? text) && !text.StartsWith('['))
            {
                environment[name] = text;
            }
        }
        var vault = new FakeVault();
        foreach (var secret in stamp.OfType("Microsoft.KeyVault/vaults/secrets"))
        {
            var name = ((string)secret["name"]!).Split('/');
            vault.Stored[(name[0], name[1])] = StoredSecret;
        }
        var (parameters, _) = await ResolveAsync(environment, vault);
        return (new StampSnapshot(stamp, parameters), vault);
    }

    /// <summary>What a stored secret looks like: base64 of 32 bytes.</summary>
    public const string StoredSecret = "S3RvcmVkU2VjcmV0T2ZUaGVGaXJzdFByb3Zpc2lvbiE=";

    private static async Task<StampSnapshot> CustomisedAsync()
    {
        var (parameters, _) = await ResolveAsync(EuEnvironment());
        parameters["routes"]!.AsArray().Add(new JsonObject
        {
            ["Model"] = "gpt-4o-mini",
            ["Provider"] = "openai",
            ["BaseUrl"] = "https://api.openai.com/v1",
            ["ApiKeySetting"] = "OPENAI_API_KEY",
            ["InputPricePerMillion"] = "0.15",
            ["OutputPricePerMillion"] = "0.6",
            ["Region"] = "us",
            ["Retention"] = "abuse-monitoring",
            ["RetentionDays"] = 30,
            ["Training"] = "no",
        });
        parameters["providerKeySecretNames"] = new JsonObject { ["OPENAI_API_KEY"] = "openai-api-key" };
        parameters["signInProviders"] = new JsonArray(new JsonObject
        {
            ["Name"] = "entra",
            ["DisplayName"] = "Microsoft Entra ID",
            ["Authority"] = $"https://login.microsoftonline.com/{TenantId}/v2.0",
            ["ClientId"] = "00000000-0000-4000-8000-00000000c1d0",
            ["ClientSecretName"] = "entra-client-secret",
            ["AllowedTenants"] = new JsonArray(TenantId),
            ["AllowedEmailDomains"] = new JsonArray("contoso.com"),
        });
        parameters["appSettings"] = new JsonObject
        {
            ["Sluice__Retention__DefaultContentRetentionDays"] = "7",
            ["Sluice__DataPolicy__InRegionOnly"] = "false",
            // Stamp settings are not overridable: the region label follows the stamp's parameter.
            ["Sluice__DataRegion"] = "us",
        };
        return await StampSnapshot.TakeAsync(parameters, (string)parameters["location"]!);
    }
}
