using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Retention;

namespace Sluice.Deploy.Tests;

/// <summary>host.json and local.settings.sample.json at the repository root (linked into the Functions project).</summary>
public sealed class HostingFilesTests
{
    private static JsonObject HostJson => JsonNode.Parse(File.ReadAllText(Repo.PathOf("host.json")))!.AsObject();

    private static Dictionary<string, string> SampleValues =>
        JsonNode.Parse(File.ReadAllText(Repo.PathOf("local.settings.sample.json")))!["Values"]!.AsObject()
            .ToDictionary(v => v.Key, v => (string)v.Value!);

    [Fact]
    public void HostJson_ServesV1AtTheRoot_AndLetsLongStreamsFinish()
    {
        var host = HostJson;

        Assert.Equal("2.0", (string)host["version"]!);
        Assert.Equal("", (string)host["extensions"]!["http"]!["routePrefix"]!);
        Assert.True(TimeSpan.Parse((string)host["functionTimeout"]!) >= TimeSpan.FromMinutes(30));
    }

    [Fact]
    public void HostJson_LogsNoMoreThanRequestTelemetry_AndOurOwnContentFreeLines()
    {
        var levels = HostJson["logging"]!["logLevel"]!.AsObject();

        Assert.Equal("Warning", (string)levels["default"]!);
        Assert.All(levels, level => Assert.DoesNotContain((string)level.Value!, new[] { "Trace", "Debug" }));
        Assert.Contains("Request", (string)HostJson["logging"]!["applicationInsights"]!["samplingSettings"]!["excludedTypes"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void FunctionsProject_LinksTheRootHostJson_AndTheSample()
    {
        var csproj = File.ReadAllText(Repo.PathOf("src", "Sluice.Functions", "Sluice.Functions.csproj"));

        Assert.Contains("Include=\"../../host.json\"", csproj, StringComparison.Ordinal);
        Assert.Contains("Include=\"../../local.settings.sample.json\"", csproj, StringComparison.Ordinal);
    }

    [Fact]
    public void Sample_HasEverySettingTheCodeReads()
    {
        var values = SampleValues;

        var missing = BoundSettings.All.Select(s => s.AppSetting).Append("Sluice__Payloads__MasterKey").Append(PurgeEngine.ScheduleSetting)
            .Where(name => !values.ContainsKey(name)).ToList();

        Assert.True(missing.Count == 0, $"Missing from local.settings.sample.json: {string.Join(", ", missing)}");
        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]);
        Assert.Equal("true", values["AzureWebJobsDisableHomepage"]);
    }

    [Fact]
    public void Sample_BindsAndValidates_AsTheApp_WouldAtStart()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(SampleValues
            .Select(v => KeyValuePair.Create(v.Key.Replace("__", ":", StringComparison.Ordinal), (string?)v.Value))).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddSluice();
        using var provider = services.BuildServiceProvider();

        // Resolving each options type runs its binding and validation (the guard against Key Vault references too).
        foreach (var options in BoundSettings.OptionsTypes)
        {
            var accessor = provider.GetRequiredService(typeof(IOptions<>).MakeGenericType(options));
            Assert.NotNull(accessor.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(accessor));
        }
        Assert.True(PurgeSchedule.TryParse(SampleValues[PurgeEngine.ScheduleSetting], out _, out var error), error);
    }

    [Fact]
    public void Sample_UsesAzurite_TheMockModel_AndPlaceholdersThatAreNoSecrets()
    {
        var values = SampleValues;

        Assert.Equal("UseDevelopmentStorage=true", values["Sluice__Storage__ConnectionString"]);
        Assert.Equal("mock", values["Sluice__Routing__Routes__0__Provider"]);
        var masterKey = values["Sluice__Payloads__MasterKey"];
        Assert.Contains("DevOnly", masterKey, StringComparison.Ordinal);
        Assert.Contains("NotASecret", masterKey, StringComparison.Ordinal);
        Assert.True(System.Buffers.Text.Base64.IsValid(masterKey, out var bytes));
        Assert.Equal(32, bytes);
        Assert.Contains("not-a-secret", values["Sluice__Operator__Secret"], StringComparison.Ordinal);
    }
}
