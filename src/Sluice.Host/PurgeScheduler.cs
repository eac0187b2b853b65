using Sluice.Retention;

namespace Sluice.Host;

/// <summary>
/// The local host's timer: runs the purge engine on the same six-field NCRONTAB schedule, read from the same app
/// setting (<see cref="PurgeEngine.ScheduleSetting"/>) and parsed by the same parser, as the Azure Functions timer
/// trigger. UTC, like Flex.
/// </summary>
internal sealed partial class PurgeScheduler(PurgeEngine engine, IConfiguration configuration, TimeProvider time,
    ILogger<PurgeScheduler> logger) : BackgroundService
{
    /// <summary>Host-only switch (tests turn the scheduler off and run the engine themselves).</summary>
    public const string EnabledSetting = "Sluice:Host:SchedulerEnabled";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue(EnabledSetting, true))
        {
            return;
        }
        // Validated at start with the retention options (PurgeSchedule.Validator), so it parses here.
        if (!PurgeSchedule.TryParse(PurgeSchedule.ExpressionFrom(configuration), out var schedule, out var error))
        {
            throw new InvalidOperationException(error);
        }
        Log.Scheduled(logger, schedule.Expression);
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            if (schedule.NextAfter(now) is not { } next)
            {
                return;
            }
            await Task.Delay(next - now, time, stoppingToken);
            try
            {
                await engine.RunAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Like a failed timer invocation: logged by the engine, retried at the next occurrence.
                Log.RunFailed(logger, e.GetType().Name);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Purge scheduled: {Schedule} (UTC).")]
        public static partial void Scheduled(ILogger logger, string schedule);

        [LoggerMessage(2, LogLevel.Warning, "Scheduled purge run failed ({Error}); next occurrence will retry.")]
        public static partial void RunFailed(ILogger logger, string error);
    }
}
