using Microsoft.Extensions.DependencyInjection;
using Sluice.Providers;

namespace Sluice.Core.Tests.Providers;

public sealed class UpstreamHttpTests
{
    /// <summary>The primary handler at the end of the upstream client's chain, as the factory builds it.</summary>
    private static SocketsHttpHandler PrimaryHandler(Action<UpstreamOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<UpstreamOptions>().Configure(o => configure?.Invoke(o));
        services.AddUpstreamHttp();
        HttpMessageHandler handler = services.BuildServiceProvider().GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(UpstreamHttp.ClientName);
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }
        return Assert.IsType<SocketsHttpHandler>(handler);
    }

    [Fact]
    public void UpstreamConnections_AreRenewedAfterFiveMinutes_ByDefault_SoDnsChangesAreSeen()
    {
        var handler = PrimaryHandler();

        Assert.Equal(TimeSpan.FromMinutes(5), handler.PooledConnectionLifetime);
    }

    [Fact]
    public void TheConnectionLifetime_IsTheConfiguredOne()
    {
        var handler = PrimaryHandler(o => o.UpstreamConnectionLifetime = TimeSpan.FromSeconds(42));

        Assert.Equal(TimeSpan.FromSeconds(42), handler.PooledConnectionLifetime);
    }
}
