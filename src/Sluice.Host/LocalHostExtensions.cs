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
        // Kestrel counts chunked framing against its limit (a 4,077-byte body sent in 1 KiB chunks trips a 4,097-byte
        // limit), so it gets headroom: the gateway counts the decoded bytes itself and answers 413 past its own limit.
        builder.Services.AddSingleton<IConfigureOptions<KestrelServerOptions>>(sp => new ConfigureOptions<KestrelServerOptions>(kestrel =>
            kestrel.Limits.MaxRequestBodySize = 2 * sp.GetRequiredService<IOptions<ProxyOptions>>().Value.MaxRequestBodyBytes + 64 * 1024));
        builder.Services.AddHostedService<PurgeScheduler>();
        return builder;
    }
}
