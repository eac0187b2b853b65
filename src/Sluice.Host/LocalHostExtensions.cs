namespace Sluice.Host;

internal static class LocalHostExtensions
{
    /// <summary>What the local host adds around the shared services: the timer jobs on their schedules. (Kestrel's
    /// body limit is set by <c>AddSluice</c>, the same for both hosts: see <c>ProxyOptions.ServerMaxRequestBodySize</c>.)</summary>
    public static WebApplicationBuilder AddSluiceLocalHost(this WebApplicationBuilder builder)
    {
        builder.Services.AddHostedService<PurgeScheduler>();
        return builder;
    }
}
