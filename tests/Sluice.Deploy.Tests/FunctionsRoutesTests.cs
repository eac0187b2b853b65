using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Sluice.Deploy.Tests;

/// <summary>
/// The Functions adapter is not built here (the mirror lacks the worker packages), so its routes are read from its
/// source: every endpoint the local host maps must be a function with the same method and route, and no function
/// may serve a route the local host (and so the test suite) does not.
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
        var local = ((IEndpointRouteBuilder)app).DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>()
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods
                .Select(method => $"{method} {e.RoutePattern.RawText!.TrimStart('/')}"))
            .Order().ToList();

        var routes = typeof(SluiceRoutes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);
        var functions = Directory.GetFiles(Repo.PathOf("src", "Sluice.Functions"), "*.cs")
            .SelectMany(file => HttpTrigger().Matches(File.ReadAllText(file)))
            .SelectMany(m => Methods().Matches(m.Groups["methods"].Value)
                .Select(method => $"{method.Groups[1].Value.ToUpperInvariant()} {routes[m.Groups["route"].Value]}"))
            .Order().ToList();

        Assert.True(local.Count > 20, string.Join("\n", local));
        Assert.Equal(local, functions);
    }

    [GeneratedRegex("""HttpTrigger\(AuthorizationLevel\.\w+,\s*(?<methods>(?:"\w+",\s*)+)Route\s*=\s*SluiceRoutes\.(?<route>\w+)\)""")]
    private static partial Regex HttpTrigger();

    [GeneratedRegex("\"(\\w+)\"")]
    private static partial Regex Methods();
}
