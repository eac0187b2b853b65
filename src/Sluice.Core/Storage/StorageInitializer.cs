using Microsoft.Extensions.Hosting;

namespace Sluice.Storage;

/// <summary>Creates the stamp's tables and containers at start-up, before the first request needs them.</summary>
internal sealed class StorageInitializer(SluiceStorage storage) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => storage.EnsureCreatedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
