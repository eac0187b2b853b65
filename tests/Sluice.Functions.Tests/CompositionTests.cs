using System.Reflection;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice.Proxy;
using Sluice.Testing;

namespace Sluice.Functions.Tests;

/// <summary>The Functions app composed exactly as Program.cs composes it (<see cref="SluiceFunctionsApplication"/>),
/// with the container validating every registration and scope, and the sample settings.</summary>
public sealed class CompositionTests
{
    private static IHost Compose(IDictionary<string, string?> settings)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.ConfigureSluiceFunctions();
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
        return builder.Build();
    }

    private static IReadOnlyList<Type> FunctionClasses { get; } = [.. typeof(SluiceFunctionsApplication).Assembly.GetTypes()
        .Where(type => type.GetMethods().Any(method => method.GetCustomAttribute<FunctionAttribute>() is not null))];

    [Fact]
    public async Task WithTheSampleSettings_TheContainerValidates_StartUpValidationPasses_AndEveryFunctionClassIsCreated()
    {
        using var host = Compose(await SampleSettings.ConfigurationAsync());

        // What Host.StartAsync runs before any hosted service: every ValidateOnStart options type, the Key Vault guard
        // and the purge schedule among them.
        host.Services.GetRequiredService<IStartupValidator>().Validate();

        // The worker creates a function's class per invocation, in the invocation's scope, with ActivatorUtilities.
        Assert.True(FunctionClasses.Count >= 5, string.Join(", ", FunctionClasses));
        using var scope = host.Services.CreateScope();
        Assert.All(FunctionClasses, type => Assert.IsType(type, ActivatorUtilities.CreateInstance(scope.ServiceProvider, type)));
    }

    [Fact]
    public async Task WithAnUnresolvedKeyVaultReference_StartUpValidationFails_NamingTheSetting()
    {
        var settings = await SampleSettings.ConfigurationAsync();
        settings["Sluice:Operator:Secret"] = "@Microsoft.KeyVault(VaultName=kv-sluice-abc;SecretName=operator-secret)";
        using var host = Compose(settings);

        var failure = Assert.ThrowsAny<Exception>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Unresolved Key Vault reference in app setting(s) Sluice__Operator__Secret", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KestrelsBodyLimit_LeavesTheGatewayItsOwn413_ForChunkedBodies_AsOnTheLocalHost()
    {
        using var host = Compose(await SampleSettings.ConfigurationAsync());
        var gatewayLimit = host.Services.GetRequiredService<IOptions<ProxyOptions>>().Value.MaxRequestBodyBytes;
        var kestrelLimit = host.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBodySize;

        // Kestrel counts chunked framing against its limit. A body at the gateway's limit sent in 1 KiB chunks
        // ("400\r\n" + data + "\r\n" each, then "0\r\n\r\n") must get through Kestrel, so the gateway answers 413
        // past its limit itself, not the worker's Kestrel (a 500 through the Functions host).
        var chunks = (gatewayLimit + 1023) / 1024;
        var framed = gatewayLimit + chunks * "400\r\n\r\n".Length + "0\r\n\r\n".Length;
        Assert.NotNull(kestrelLimit);
        Assert.True(kestrelLimit >= framed, $"Kestrel {kestrelLimit} < {framed} bytes on the wire for a {gatewayLimit}-byte body");

        await using var local = await SluiceApplication.StartAsync();
        Assert.Equal(local.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBodySize, kestrelLimit);
    }
}
