using Microsoft.Azure.Functions.Worker;
using Sluice.Retention;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The purge timer: schedule from the <c>SLUICE_PURGE_SCHEDULE</c> app setting (six-field NCRONTAB, UTC).
/// A failed run is not retried by the platform; the engine's runs are resumable, so the next occurrence finishes it.</summary>
public sealed class PurgeFunctions(PurgeEngine engine, PurgeHandlers handlers)
{
    [Function(nameof(Purge))]
    public Task Purge([TimerTrigger("%" + PurgeEngine.ScheduleSetting + "%")] TimerInfo timer, CancellationToken cancellationToken) =>
        engine.RunAsync(cancellationToken);

    [Function(nameof(PurgeNow))]
    public Task<Microsoft.AspNetCore.Http.IResult> PurgeNow(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.OperatorPurge)] Microsoft.AspNetCore.Http.HttpRequest request) =>
        handlers.RunNowAsync(request.HttpContext);
}
