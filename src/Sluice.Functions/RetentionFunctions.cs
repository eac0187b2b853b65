using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Retention;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>Retention settings, the customer's data rights (export, erasure, stored requests) and usage.</summary>
public sealed class RetentionFunctions(RetentionHandlers retention, DataExport export, StoredRequestHandlers stored, UsageHandler usage)
{
    [Function(nameof(GetRetention))]
    public Task<IResult> GetRetention([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.AccountRetention)] HttpRequest request) =>
        retention.GetAsync(request.HttpContext);

    [Function(nameof(PutRetention))]
    public Task<IResult> PutRetention([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = SluiceRoutes.AccountRetention)] HttpRequest request) =>
        retention.PutAsync(request.HttpContext);

    [Function(nameof(EraseContent))]
    public Task<IResult> EraseContent([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SluiceRoutes.AccountContent)] HttpRequest request) =>
        retention.EraseContentAsync(request.HttpContext);

    [Function(nameof(ExportAccount))]
    public Task<IResult> ExportAccount([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.AccountExport)] HttpRequest request) =>
        export.ExportAsync(request.HttpContext);

    [Function(nameof(GetStoredRequest))]
    public Task<IResult> GetStoredRequest(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.StoredRequest)] HttpRequest request, string requestId) =>
        stored.GetAsync(request.HttpContext, requestId);

    [Function(nameof(DeleteStoredRequest))]
    public Task<IResult> DeleteStoredRequest(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SluiceRoutes.StoredRequest)] HttpRequest request, string requestId) =>
        stored.DeleteAsync(request.HttpContext, requestId);

    [Function(nameof(GetUsage))]
    public Task<IResult> GetUsage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Usage)] HttpRequest request) =>
        usage.GetAsync(request.HttpContext);
}
