using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Accounts;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The operator API (deployment-secret protected inside the handler, the same as on the local host).</summary>
public sealed class OperatorFunctions(OperatorHandlers operators)
{
    [Function(nameof(CreateAccount))]
    public Task<IResult> CreateAccount(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.OperatorAccounts)] HttpRequest request) =>
        operators.CreateAccountAsync(request.HttpContext);

    [Function(nameof(ListAccounts))]
    public Task<IResult> ListAccounts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.OperatorAccounts)] HttpRequest request) =>
        operators.ListAccountsAsync(request.HttpContext);

    // Function names must be unique app-wide (the generator refuses duplicates, AZFW0017); GetAccount is the customer's.
    [Function(nameof(GetAccountById))]
    public Task<IResult> GetAccountById(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.OperatorAccount)] HttpRequest request, string accountId) =>
        operators.GetAccountAsync(request.HttpContext, accountId);

    [Function(nameof(CreateAccountKey))]
    public Task<IResult> CreateAccountKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.OperatorAccountKeys)] HttpRequest request, string accountId) =>
        operators.CreateKeyAsync(request.HttpContext, accountId);

    [Function(nameof(SuspendAccount))]
    public Task<IResult> SuspendAccount(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.OperatorSuspend)] HttpRequest request, string accountId) =>
        operators.SuspendAsync(request.HttpContext, accountId);

    [Function(nameof(ReinstateAccount))]
    public Task<IResult> ReinstateAccount(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.OperatorReinstate)] HttpRequest request, string accountId) =>
        operators.ReinstateAsync(request.HttpContext, accountId);

    [Function(nameof(ReopenAccount))]
    public Task<IResult> ReopenAccount(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.OperatorReopen)] HttpRequest request, string accountId) =>
        operators.ReopenAsync(request.HttpContext, accountId);

    [Function(nameof(LegalHold))]
    public Task<IResult> LegalHold(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.OperatorLegalHold)] HttpRequest request, string accountId) =>
        operators.LegalHoldAsync(request.HttpContext, accountId);
}
