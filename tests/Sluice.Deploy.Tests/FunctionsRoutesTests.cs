using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Sluice.Deploy.Tests;

/// <summary>
/// The Functions adapter is not built here (the mirror lacks the worker packages), so its routes are read from its
/// source: every endpoint the local host maps must be a function with the same method and route, and no function
/// may serve a route the local host (and so the test suite) does not. A method of "*" is every method.
/// </summary>
public sealed partial class FunctionsRoutesTests
{
    [Fact]
    public void TheFunctionsApp_AndTheLocalHost_ServeExactlyTheSameMethodsAndRoutes()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSluice();
        var app = builder.Build();
        app.MapSluice();
        // An endpoint for every method (the catch-all) has no method metadata: "*", as a trigger without methods.
        var local = ((IEndpointRouteBuilder)app).DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => $"{method} {e.RoutePattern.RawText!.TrimStart('/')}"))
            .Order().ToList();

        var routes = typeof(SluiceRoutes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);
        var functions = Directory.GetFiles(Repo.PathOf("src", "Sluice.Functions"), "*.cs")
            .SelectMany(file => HttpTrigger().Matches(File.ReadAllText(file)))
            .SelectMany(m => (m.Groups["methods"].Value is { Length: > 0 } methods ? Methods().Matches(methods).Select(x => x.Groups[1].Value.ToUpperInvariant()) : ["*"])
                .Select(method => $"{method} {routes[m.Groups["route"].Value]}"))
            .Order().ToList();

        Assert.True(local.Count > 20, string.Join("\n", local));
        Assert.Equal(local, functions);
    }

    /// <summary>The Functions host tries routes in the order of the functions' names (ordinal, ignoring case), not by
    /// ASP.NET Core's precedence, and takes the first that matches: the catch-all must come last, or it would answer
    /// every route whose function's name sorts after its own.</summary>
    [Fact]
    public void TheCatchAllFunction_SortsAfterEveryOtherFunction_SoTheHostTriesItLast()
    {
        var functions = Directory.GetFiles(Repo.PathOf("src", "Sluice.Functions"), "*.cs")
            .SelectMany(file => Function().Matches(File.ReadAllText(file)))
            .Select(m => (Name: m.Groups["name"].Value, Route: m.Groups["route"].Value))
            .ToList();

        var catchAll = Assert.Single(functions, f => f.Route == nameof(SluiceRoutes.UnknownUrl));
        Assert.True(functions.Count > 20);
        Assert.Equal(catchAll.Name, functions.Select(f => f.Name).Order(StringComparer.OrdinalIgnoreCase).Last());
    }

    [GeneratedRegex("""HttpTrigger\(AuthorizationLevel\.\w+,\s*(?<methods>(?:"\w+",\s*)*)Route\s*=\s*SluiceRoutes\.(?<route>\w+)\)""")]
    private static partial Regex HttpTrigger();

    [GeneratedRegex("""\[Function\((?:nameof\((?<name>\w+)\)|"(?<name>[^"]+)")\)\]\s*public[^\[]*\[HttpTrigger\([^)]*Route\s*=\s*SluiceRoutes\.(?<route>\w+)\)""")]
    private static partial Regex Function();

    [GeneratedRegex("\"(\\w+)\"")]
    private static partial Regex Methods();
}
