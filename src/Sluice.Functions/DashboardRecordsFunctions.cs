using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Dashboard;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The dashboard's Usage, Keys and Audit log pages: one function per route and method, calling the handlers
/// the local host maps (DashboardEndpoints).</summary>
public sealed class DashboardRecordsFunctions(UsagePageHandlers usage, KeyPageHandlers keys, AuditPageHandlers audit)
{
    [Function(nameof(DashboardUsage))]
    public Task<IResult> DashboardUsage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardUsage)] HttpRequest request, string accountId) =>
        usage.UsageAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardUsageCsv))]
    public Task<IResult> DashboardUsageCsv(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardUsageCsv)] HttpRequest request, string accountId) =>
        usage.CsvAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardKeys))]
    public Task<IResult> DashboardKeys(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardKeys)] HttpRequest request, string accountId) =>
        keys.KeysAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardKeyCreate))]
    public Task<IResult> DashboardKeyCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardKeys)] HttpRequest request, string accountId) =>
        keys.CreateAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardKeyRevokeConfirm))]
    public Task<IResult> DashboardKeyRevokeConfirm(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardKeyRevoke)] HttpRequest request, string accountId, string keyId) =>
        keys.ConfirmRevokeAsync(request.HttpContext, accountId, keyId);

    [Function(nameof(DashboardKeyRevoke))]
    public Task<IResult> DashboardKeyRevoke(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardKeyRevoke)] HttpRequest request, string accountId, string keyId) =>
        keys.RevokeAsync(request.HttpContext, accountId, keyId);

    [Function(nameof(DashboardAudit))]
    public Task<IResult> DashboardAudit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardAudit)] HttpRequest request, string accountId) =>
        audit.AuditAsync(request.HttpContext, accountId);
}
