using Sluice.Deploy.Tests.Bicep;
using Sluice.Testing;
using YamlDotNet.RepresentationModel;

namespace Sluice.Deploy.Tests;

/// <summary>
/// The azd preprovision hook that keeps a fresh clone from replacing a stamp's payload master key: it refuses when the
/// stamp's resource group exists and the azd environment has no AZURE_KEY_VAULT_NAME. Both variants run here as azd
/// runs them, with the azd environment as variables and a fake <c>az</c> on PATH that answers <c>az group exists</c>
/// and records how it was asked: the posix one as a file (its shebang picks the shell), the Windows one with PowerShell
/// (the repository's local dotnet tool, restored once per test run).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PreprovisionHookTests : IDisposable
{
    private const string Subscription = "6f1b8c3e-0000-4000-8000-00000000a2d1";

    private static readonly Lazy<Task> s_powerShell = new(async () =>
    {
        var restore = await ProcessRun.StartAsync(ProcessRun.Dotnet, ["tool", "restore"], new Dictionary<string, string?>(),
            TimeSpan.FromMinutes(5), Repo.Root);
        Assert.True(restore.ExitCode == 0, $"dotnet tool restore (PowerShell) failed: {restore}");
    });

    private readonly DirectoryInfo _fakeAz = Directory.CreateTempSubdirectory("sluice-fake-az-");

    public PreprovisionHookTests()
    {
        // Answers "true" only for the group named in FAKE_AZ_EXISTING; FAKE_AZ_FAIL makes it fail like a signed-out CLI.
        var az = Path.Combine(_fakeAz.FullName, "az");
        File.WriteAllText(az, """
            #!/bin/sh
            printf '%s\n' "$*" >> "$FAKE_AZ_LOG"
            if [ -n "${FAKE_AZ_FAIL:-}" ]; then echo "ERROR: Please run 'az login' to setup account." >&2; exit 1; fi
            [ "$1 $2" = "group exists" ] || { echo "fake az: unexpected command: $*" >&2; exit 2; }
            case " $* " in *" --name $FAKE_AZ_EXISTING "*) echo true ;; *) echo false ;; esac
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(az, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => _fakeAz.Delete(recursive: true);

    private string Log => Path.Combine(_fakeAz.FullName, "calls.log");

    private static YamlMappingNode Hook(string platform)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Repo.PathOf("azure.yaml"));
        stream.Load(reader);
        var root = (YamlMappingNode)stream.Documents.Single().RootNode;
        return (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)root["hooks"])["preprovision"])[platform];
    }

    private static string HookScript(string platform) => Path.GetFullPath(Repo.PathOf(((YamlScalarNode)Hook(platform)["run"]).Value!));

    /// <summary>The stamp's resource group as main.bicep names it for the EU environment of docs/deploy.md.</summary>
    private static async Task<(string EnvironmentName, string ResourceGroup)> EuStampAsync()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        return ((string)stamp.Parameters["environmentName"]!, (string)stamp.Single("Microsoft.Resources/resourceGroups")["name"]!);
    }

    private async Task<ProcessRun> RunHookAsync(string platform, Dictionary<string, string?> azdEnvironment, string existingGroup, bool azFails = false)
    {
        var environment = new Dictionary<string, string?>(azdEnvironment)
        {
            ["PATH"] = $"{_fakeAz.FullName}{Path.PathSeparator}{Environment.GetEnvironmentVariable("PATH")}",
            ["FAKE_AZ_LOG"] = Log,
            ["FAKE_AZ_EXISTING"] = existingGroup,
            ["FAKE_AZ_FAIL"] = azFails ? "1" : null,
        };
        foreach (var name in new[] { "AZURE_ENV_NAME", "AZURE_KEY_VAULT_NAME", "AZURE_SUBSCRIPTION_ID" })
        {
            environment.TryAdd(name, null);
        }
        var timeout = TimeSpan.FromMinutes(1);
        if (platform == "posix")
        {
            return await ProcessRun.StartAsync(HookScript(platform), [], environment, timeout, Repo.Root);
        }
        await s_powerShell.Value;
        return await ProcessRun.StartAsync(ProcessRun.Dotnet, ["tool", "run", "pwsh", "-NoProfile", "-NonInteractive", "-File", HookScript(platform)],
            environment, timeout, Repo.Root);
    }

    private string[] AzCalls => File.Exists(Log) ? File.ReadAllLines(Log) : [];

    [Fact]
    public void AzureYaml_DeclaresThePreprovisionHook_ForBashAndPowerShell_AndNeitherMayFailQuietly()
    {
        Assert.Equal("sh", ((YamlScalarNode)Hook("posix")["shell"]).Value);
        Assert.Equal("pwsh", ((YamlScalarNode)Hook("windows")["shell"]).Value);
        Assert.True(File.Exists(HookScript("posix")));
        Assert.True(File.Exists(HookScript("windows")));
        Assert.Equal(".ps1", Path.GetExtension(HookScript("windows")));
        Assert.All(new[] { Hook("posix"), Hook("windows") }, hook => Assert.False(
            hook.Children.TryGetValue(new YamlScalarNode("continueOnError"), out var value) && ((YamlScalarNode)value).Value == "true"));
        Assert.True((File.GetUnixFileMode(HookScript("posix")) & UnixFileMode.UserExecute) != 0, "azd runs the posix hook file directly: it must be executable");
    }

    [Theory]
    [InlineData("posix")]
    [InlineData("windows")]
    public async Task AnExistingStamp_WithoutTheVaultName_IsRefused_SayingToRefreshTheEnvironment(string platform)
    {
        var (environmentName, group) = await EuStampAsync();

        var run = await RunHookAsync(platform, new() { ["AZURE_ENV_NAME"] = environmentName, ["AZURE_SUBSCRIPTION_ID"] = Subscription }, existingGroup: group);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("azd env refresh", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(group, run.StandardError, StringComparison.Ordinal);
        Assert.Equal([$"group exists --name {group} --output tsv --subscription {Subscription}"], AzCalls);
    }

    [Theory]
    [InlineData("posix")]
    [InlineData("windows")]
    public async Task AnExistingStamp_WhoseVaultNameIsKnown_IsProvisioned(string platform)
    {
        var (environmentName, group) = await EuStampAsync();

        var run = await RunHookAsync(platform, new() { ["AZURE_ENV_NAME"] = environmentName, ["AZURE_KEY_VAULT_NAME"] = "kv-sluice-abc" }, existingGroup: group);

        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Theory]
    [InlineData("posix")]
    [InlineData("windows")]
    public async Task ANewStamp_IsProvisioned_AfterCheckingItsResourceGroup(string platform)
    {
        var (environmentName, group) = await EuStampAsync();

        var run = await RunHookAsync(platform, new() { ["AZURE_ENV_NAME"] = environmentName }, existingGroup: "rg-another-stamp");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal([$"group exists --name {group} --output tsv"], AzCalls);
    }

    [Theory]
    [InlineData("posix")]
    [InlineData("windows")]
    public async Task WhenAzCannotAnswer_ProvisioningIsRefused_SayingWhy(string platform)
    {
        var (environmentName, group) = await EuStampAsync();

        var run = await RunHookAsync(platform, new() { ["AZURE_ENV_NAME"] = environmentName }, existingGroup: group, azFails: true);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("az login", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(group, run.StandardError, StringComparison.Ordinal);
    }
}
