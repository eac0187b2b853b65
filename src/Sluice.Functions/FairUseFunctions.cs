using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.FairUse;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The limits routes; authentication and roles are checked in the handlers.</summary>
public sealed class FairUseFunctions(LimitHandlers limits)
{
    [Function(nameof(GetAccountLimits))]
    public Task<IResult> GetAccountLimits([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.AccountLimits)] HttpRequest request) =>
        limits.GetAccountAsync(request.HttpContext);

    [Function(nameof(PutAccountLimits))]
    public Task<IResult> PutAccountLimits([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = SluiceRoutes.AccountLimits)] HttpRequest request) =>
        limits.PutAccountAsync(request.HttpContext);

    [Function(nameof(GetKeyLimits))]
    public Task<IResult> GetKeyLimits([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.KeyLimits)] HttpRequest request, string keyId) =>
        limits.GetKeyAsync(request.HttpContext, keyId);

    [Function(nameof(PutKeyLimits))]
    public Task<IResult> PutKeyLimits([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = SluiceRoutes.KeyLimits)] HttpRequest request, string keyId) =>
        limits.PutKeyAsync(request.HttpContext, keyId);

    [Function(nameof(GetMemberLimits))]
    public Task<IResult> GetMemberLimits([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.MemberLimits)] HttpRequest request, string memberId) =>
        limits.GetMemberAsync(request.HttpContext, memberId);

    [Function(nameof(PutMemberLimits))]
    public Task<IResult> PutMemberLimits([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = SluiceRoutes.MemberLimits)] HttpRequest request, string memberId) =>
        limits.PutMemberAsync(request.HttpContext, memberId);
}
