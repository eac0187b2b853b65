using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sluice.FairUse;

/// <summary>Runs <see cref="FairUseGate.RefreshAsync"/> every <see cref="FairUseOptions.RefreshInterval"/>, on the
/// injected clock, and once more on shutdown so this instance's last spend reaches the ledger.</summary>
internal sealed class FairUseRefresher(FairUseGate gate, IOptions<FairUseOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await gate.RefreshAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (options.Value.Enabled)
        {
            try
            {
                await gate.RefreshAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Shutdown ran out of time: at most one refresh interval of this instance's spend is not in the ledger.
            }
        }
    }
}
