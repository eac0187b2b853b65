using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Dashboard;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The dashboard's Limits page; sign-in, anti-forgery and roles are checked in the handlers.</summary>
public sealed class DashboardLimitsFunctions(LimitPageHandlers limits)
{
    [Function(nameof(DashboardLimits))]
    public Task<IResult> DashboardLimits(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardLimits)] HttpRequest request, string accountId) =>
        limits.PageAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardLimitsSet))]
    public Task<IResult> DashboardLimitsSet(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardLimitsSet)] HttpRequest request, string accountId, string subjectId) =>
        limits.SetAsync(request.HttpContext, accountId, subjectId);
}
