using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Accounts;
using Sluice.Routing;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The customer's account, key, audit and data-policy routes; authentication and roles are checked in the handlers.</summary>
public sealed class AccountFunctions(AccountHandlers accounts, KeyHandlers keys, DataPolicyHandlers dataPolicy, MemberBoundaryHandlers memberBoundary)
{
    [Function(nameof(GetAccount))]
    public Task<IResult> GetAccount([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Account)] HttpRequest request) =>
        accounts.GetAccountAsync(request.HttpContext);

    [Function(nameof(CloseAccount))]
    public Task<IResult> CloseAccount([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.AccountClose)] HttpRequest request) =>
        accounts.CloseAccountAsync(request.HttpContext);

    [Function(nameof(GetIpAllowlist))]
    public Task<IResult> GetIpAllowlist([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.AccountIpAllowlist)] HttpRequest request) =>
        accounts.GetIpAllowlistAsync(request.HttpContext);

    [Function(nameof(PutIpAllowlist))]
    public Task<IResult> PutIpAllowlist([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = SluiceRoutes.AccountIpAllowlist)] HttpRequest request) =>
        accounts.PutIpAllowlistAsync(request.HttpContext);

    [Function(nameof(GetMemberBoundary))]
    public Task<IResult> GetMemberBoundary([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.AccountMemberBoundary)] HttpRequest request) =>
        memberBoundary.GetAsync(request.HttpContext);

    [Function(nameof(PutMemberBoundary))]
    public Task<IResult> PutMemberBoundary([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = SluiceRoutes.AccountMemberBoundary)] HttpRequest request) =>
        memberBoundary.PutAsync(request.HttpContext);

    [Function(nameof(GetAudit))]
    public Task<IResult> GetAudit([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Audit)] HttpRequest request) =>
        accounts.GetAuditAsync(request.HttpContext);

    [Function(nameof(ListKeys))]
    public Task<IResult> ListKeys([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Keys)] HttpRequest request) =>
        keys.ListKeysAsync(request.HttpContext);

    [Function(nameof(CreateKey))]
    public Task<IResult> CreateKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.Keys)] HttpRequest request) =>
        keys.CreateKeyAsync(request.HttpContext);

    [Function(nameof(UpdateKey))]
    public Task<IResult> UpdateKey([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = SluiceRoutes.Key)] HttpRequest request, string keyId) =>
        keys.UpdateKeyAsync(request.HttpContext, keyId);

    [Function(nameof(RevokeKey))]
    public Task<IResult> RevokeKey([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SluiceRoutes.Key)] HttpRequest request, string keyId) =>
        keys.RevokeKeyAsync(request.HttpContext, keyId);

    [Function(nameof(GetDataPolicy))]
    public Task<IResult> GetDataPolicy([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.AccountDataPolicy)] HttpRequest request) =>
        dataPolicy.GetAsync(request.HttpContext);

    [Function(nameof(PutDataPolicy))]
    public Task<IResult> PutDataPolicy([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = SluiceRoutes.AccountDataPolicy)] HttpRequest request) =>
        dataPolicy.PutAsync(request.HttpContext);
}
