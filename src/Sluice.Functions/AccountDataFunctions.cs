using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Dashboard;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The dashboard's account-data pages (Settings → Policies, Requests, Data): one function per route, calling
/// the handlers the local host maps.</summary>
public sealed class AccountDataFunctions(AccountDataHandlers handlers)
{
    [Function(nameof(DashboardPolicies))]
    public Task<IResult> DashboardPolicies(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardPolicies)] HttpRequest request, string accountId) =>
        handlers.PoliciesAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardPoliciesRetention))]
    public Task<IResult> DashboardPoliciesRetention(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardPoliciesRetention)] HttpRequest request, string accountId) =>
        handlers.SaveRetentionAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardPoliciesDataPolicy))]
    public Task<IResult> DashboardPoliciesDataPolicy(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardPoliciesDataPolicy)] HttpRequest request, string accountId) =>
        handlers.SaveDataPolicyAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardRequests))]
    public Task<IResult> DashboardRequests(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardRequests)] HttpRequest request, string accountId) =>
        handlers.RequestsAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardRequestErase))]
    public Task<IResult> DashboardRequestErase(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardRequestErase)] HttpRequest request, string accountId, string requestId) =>
        handlers.EraseRequestAsync(request.HttpContext, accountId, requestId);

    [Function(nameof(DashboardData))]
    public Task<IResult> DashboardData(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardData)] HttpRequest request, string accountId) =>
        handlers.DataAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardDataEraseContent))]
    public Task<IResult> DashboardDataEraseContent(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardDataEraseContent)] HttpRequest request, string accountId) =>
        handlers.EraseContentAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardDataClose))]
    public Task<IResult> DashboardDataClose(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardDataClose)] HttpRequest request, string accountId) =>
        handlers.CloseAsync(request.HttpContext, accountId);
}
