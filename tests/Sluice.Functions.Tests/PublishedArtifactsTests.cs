using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Retention;
using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.Functions.Tests;

/// <summary>What <c>azd deploy</c> ships: the publish output of src/Sluice.Functions, read the way the Functions host
/// reads it (functions.metadata, worker.config.json, extensions.json, host.json, the runtime config).</summary>
public sealed class PublishedArtifactsTests
{
    private static async Task<IReadOnlyList<JsonObject>> FunctionsAsync() =>
        [.. (await PublishedApp.JsonAsync("functions.metadata")).AsArray().Select(f => f!.AsObject())];

    private static IEnumerable<JsonObject> Bindings(JsonObject function) => function["bindings"]!.AsArray().Select(b => b!.AsObject());

    private static IEnumerable<JsonObject> HttpTriggers(IEnumerable<JsonObject> functions) =>
        functions.SelectMany(Bindings).Where(b => (string?)b["type"] == "httpTrigger");

    [Fact]
    public async Task FunctionsMetadata_ServesExactlyTheLocalHostsMethodsAndRoutes()
    {
        // A trigger without methods (the catch-all) takes every method, as a local endpoint without method metadata: "*".
        var published = HttpTriggers(await FunctionsAsync())
            .SelectMany(trigger => (trigger["methods"] is JsonArray methods ? methods.Select(method => ((string)method!).ToUpperInvariant()) : ["*"])
                .Select(method => $"{method} {(string)trigger["route"]!}"))
            .Order(StringComparer.Ordinal).ToList();

        await using var local = await SluiceApplication.StartAsync();
        var served = local.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => $"{method} {endpoint.RoutePattern.RawText!.TrimStart('/')}"))
            .Order(StringComparer.Ordinal).ToList();

        Assert.True(served.Count > 20, string.Join(Environment.NewLine, served));
        Assert.Equal(served, published);
    }

    /// <summary>The Functions host tries HTTP routes in the order of the functions' names (ordinal, ignoring case), not
    /// by ASP.NET Core's precedence, and takes the first that matches: the catch-all must come last, or it would answer
    /// every route whose function's name sorts after its own.</summary>
    [Fact]
    public async Task TheCatchAllFunction_SortsAfterEveryOtherHttpFunction_SoTheHostTriesItLast()
    {
        var http = (await FunctionsAsync()).Where(f => HttpTriggers([f]).Any()).ToList();

        var catchAll = Assert.Single(http, f => (string)HttpTriggers([f]).Single()["route"]! == SluiceRoutes.UnknownUrl);
        Assert.Null(HttpTriggers([catchAll]).Single()["methods"]);
        Assert.Equal((string)catchAll["name"]!, http.Select(f => (string)f["name"]!).Order(StringComparer.OrdinalIgnoreCase).Last());
    }

    [Fact]
    public async Task EveryHttpTrigger_IsAnonymous_AndNoneIsUnderTheHostsReservedAdminPath()
    {
        var triggers = HttpTriggers(await FunctionsAsync()).ToList();

        Assert.NotEmpty(triggers);
        // The handlers authenticate (gateway keys, operator secret); a function key would be a second, unshared secret.
        Assert.All(triggers, trigger => Assert.Equal("anonymous", ((string)trigger["authLevel"]!).ToLowerInvariant()));
        // With routePrefix "" a route under admin/ would collide with the Functions host's own admin API.
        Assert.All(triggers, trigger =>
        {
            var route = ((string)trigger["route"]!).TrimStart('/');
            Assert.False(route.Equals("admin", StringComparison.OrdinalIgnoreCase) || route.StartsWith("admin/", StringComparison.OrdinalIgnoreCase), route);
        });
    }

    [Fact]
    public async Task TheOnlyTimer_IsThePurge_OnTheScheduleAppSetting_AndDoesNotRunOnStartup()
    {
        var functions = await FunctionsAsync();

        var timer = Assert.Single(functions.SelectMany(Bindings), b => (string?)b["type"] == "timerTrigger");
        Assert.Equal($"%{PurgeEngine.ScheduleSetting}%", (string)timer["schedule"]!);
        // runOnStartup also fires on every scale-out and restart: absent means false.
        Assert.False(timer["runOnStartup"] is { } runOnStartup && (bool)runOnStartup);
        Assert.All(functions.SelectMany(Bindings), b => Assert.Contains((string)b["type"]!, new[] { "httpTrigger", "http", "timerTrigger" }));
    }

    [Fact]
    public async Task WorkerConfig_StartsTheIsolatedWorker_OnThePublishedAssembly()
    {
        var directory = await PublishedApp.DirectoryAsync();
        var description = (await PublishedApp.JsonAsync("worker.config.json"))["description"]!;

        Assert.Equal("dotnet-isolated", (string)description["language"]!);
        Assert.Equal("dotnet", (string)description["defaultExecutablePath"]!);
        var worker = (string)description["defaultWorkerPath"]!;
        Assert.Equal("Sluice.Functions.dll", worker);
        Assert.True(File.Exists(Path.Combine(directory, worker)));
        Assert.True(File.Exists(Path.Combine(directory, Path.ChangeExtension(worker, ".runtimeconfig.json"))));
        Assert.All(await FunctionsAsync(), function => Assert.Equal(worker, (string)function["scriptFile"]!));
    }

    [Fact]
    public async Task ExtensionsJson_LoadsOnlyTheWorkersMetadataLoader()
    {
        var directory = await PublishedApp.DirectoryAsync();
        var extensions = (await PublishedApp.JsonAsync("extensions.json"))["extensions"]!.AsArray().Select(e => e!.AsObject()).ToList();

        // HTTP and timer triggers are built into the Functions host; the worker SDK adds only its metadata loader.
        // Anything else here is a host extension the app would load in Azure without any test having seen it.
        var extension = Assert.Single(extensions);
        Assert.Equal("Startup", (string)extension["name"]!);
        Assert.StartsWith("Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.Startup, Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader,",
            (string)extension["typeName"]!, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(directory, (string)extension["hintPath"]!)));
    }

    [Fact]
    public async Task HostJson_IsTheRepositorysOwn_WithAnEmptyRoutePrefix_AndNoExtensionBundle()
    {
        var published = await File.ReadAllBytesAsync(Path.Combine(await PublishedApp.DirectoryAsync(), "host.json"));

        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(PublishedApp.RepoRoot, "host.json")), published);
        var host = JsonNode.Parse(published)!.AsObject();
        Assert.Equal("", (string)host["extensions"]!["http"]!["routePrefix"]!);
        // The isolated worker brings its extensions in the package; a bundle would load a second, unpinned set.
        Assert.False(host.ContainsKey("extensionBundle"));
    }

    [Fact]
    public async Task NoLocalSettings_AreShipped()
    {
        var directory = await PublishedApp.DirectoryAsync();

        Assert.Empty(Directory.EnumerateFiles(directory, "local.settings*.json", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(directory, "functions.metadata")));
    }

    [Fact]
    public async Task RuntimeConfig_TargetsDotnet10_WithAspNetCore()
    {
        var options = (await PublishedApp.JsonAsync("Sluice.Functions.runtimeconfig.json"))["runtimeOptions"]!;

        Assert.Equal("net10.0", (string)options["tfm"]!);
        var frameworks = options["frameworks"]!.AsArray().ToDictionary(f => (string)f!["name"]!, f => (string)f!["version"]!);
        Assert.Equal(["Microsoft.AspNetCore.App", "Microsoft.NETCore.App"], frameworks.Keys.Order(StringComparer.Ordinal));
        Assert.All(frameworks.Values, version => Assert.StartsWith("10.", version, StringComparison.Ordinal));
    }
}
