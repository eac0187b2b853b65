using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Sluice.Proxy;

namespace Sluice.Host;

internal static class LocalHostExtensions
{
    /// <summary>What the local host adds around the shared services: Kestrel's body limit matched to the
    /// gateway's own (the gateway answers 413 itself), and the timer jobs on their schedules.</summary>
    public static WebApplicationBuilder AddSluiceLocalHost(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IConfigureOptions<KestrelServerOptions>>(sp => new ConfigureOptions<KestrelServerOptions>(kestrel =>
            kestrel.Limits.MaxRequestBodySize = sp.GetRequiredService<IOptions<ProxyOptions>>().Value.MaxRequestBodyBytes + 1));
        builder.Services.AddHostedService<PurgeScheduler>();
        return builder;
    }
}
