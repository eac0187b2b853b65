using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>
/// The operator API, for whoever runs the stamp: create accounts and their first keys, list and read them, suspend,
/// reinstate, reopen, and place or release legal holds. Authenticated by the deployment secret
/// (<c>Sluice__Operator__Secret</c>, from Key Vault in Azure) sent as a bearer token and compared in constant time;
/// every change is recorded in the account's audit log with the actor <c>operator</c>.
/// </summary>
public sealed class OperatorHandlers(
    AccountLifecycle lifecycle,
    AccountStore accounts,
    IOptionsMonitor<OperatorOptions> operatorOptions,
    IOptions<AccountOptions> accountOptions,
    IOptions<ForwardedForOptions> forwardedFor,
    FailedAuthThrottle throttle)
{
    public const string Actor = "operator";

    public async Task<IResult> CreateAccountAsync(HttpContext context)
    {
        if (Authorize(context) is { } denied)
        {
            return denied;
        }
        if (!(await JsonBody.ReadAsync(context, AccountsJson.Wire.CreateAccountRequest)).TryGet(out var body, out var error))
        {
            return error;
        }
        if (!(await lifecycle.CreateAsync(body.Name, body.Region, Actor, SourceIp(context), context.RequestAborted)).TryGet(out var created, out var createError))
        {
            return createError;
        }
        return TypedResults.Json(new CreatedAccount(AccountView.From(created.Account, accountOptions.Value), created.OwnerKey),
            AccountsJson.Wire.CreatedAccount, statusCode: StatusCodes.Status201Created);
    }

    public async Task<IResult> ListAccountsAsync(HttpContext context)
    {
        if (Authorize(context) is { } denied)
        {
            return denied;
        }
        AccountState? state = null;
        if (context.Request.Query["state"].ToString() is { Length: > 0 } text)
        {
            if (!AccountStateNames.TryParse(text, out var parsed))
            {
                return ApiError.InvalidRequest("'state' must be one of active, suspended, expired, purged.", "state");
            }
            state = parsed;
        }
        var list = new List<AccountView>();
        await foreach (var account in accounts.ListAsync(state, context.RequestAborted))
        {
            list.Add(AccountView.From(account, accountOptions.Value));
        }
        return TypedResults.Json(new AccountList(list), AccountsJson.Wire.AccountList);
    }

    public async Task<IResult> GetAccountAsync(HttpContext context, string accountId)
    {
        if (Authorize(context) is { } denied)
        {
            return denied;
        }
        var account = await accounts.GetAsync(accountId, context.RequestAborted);
        return account is null
            ? ApiError.NotFound("The account")
            : TypedResults.Json(AccountView.From(account, accountOptions.Value), AccountsJson.Wire.AccountView);
    }

    public async Task<IResult> CreateKeyAsync(HttpContext context, string accountId)
    {
        if (Authorize(context) is { } denied)
        {
            return denied;
        }
        if (!(await JsonBody.ReadAsync(context, AccountsJson.Wire.CreateKeyRequest)).TryGet(out var body, out var error))
        {
            return error;
        }
        var account = await accounts.GetAsync(accountId, context.RequestAborted);
        if (account is null)
        {
            return ApiError.NotFound("The account");
        }
        if (account.State != AccountState.Active)
        {
            return ApiError.Conflict("account_not_active", $"Keys can only be created for active accounts; this one is {account.State.ToWire()}.");
        }
        return (await lifecycle.CreateKeyAsync(account, body, grantorRole: null, Actor, SourceIp(context), context.RequestAborted)).TryGet(out var key, out var keyError)
            ? TypedResults.Json(key, AccountsJson.Wire.CreatedKey, statusCode: StatusCodes.Status201Created)
            : keyError;
    }

    /// <summary><c>POST /operator/accounts/{id}/suspend</c> with <c>{"reason":"non_payment|terms_violation|other","note":"…"}</c>.</summary>
    public async Task<IResult> SuspendAsync(HttpContext context, string accountId)
    {
        if (Authorize(context) is { } denied)
        {
            return denied;
        }
        if (!(await JsonBody.ReadAsync(context, AccountsJson.Wire.SuspendAccountRequest)).TryGet(out var body, out var error))
        {
            return error;
        }
        return View(await lifecycle.SuspendAsync(accountId, body.Reason, body.Note, Actor, SourceIp(context), context.RequestAborted));
    }

    /// <summary><c>POST /operator/accounts/{id}/reinstate</c>: a suspended account is active again, keys and all.</summary>
    public async Task<IResult> ReinstateAsync(HttpContext context, string accountId) =>
        Authorize(context) ?? View(await lifecycle.ReinstateAsync(accountId, Actor, SourceIp(context), context.RequestAborted));

    /// <summary><c>POST /operator/accounts/{id}/reopen</c>: a closed account is active again, within its expired period.</summary>
    public async Task<IResult> ReopenAsync(HttpContext context, string accountId) =>
        Authorize(context) ?? View(await lifecycle.ReopenAsync(accountId, Actor, SourceIp(context), context.RequestAborted));

    /// <summary><c>POST /operator/accounts/{id}/legal-hold</c> with <c>{"hold":true|false,"reason":"…"}</c>.</summary>
    public async Task<IResult> LegalHoldAsync(HttpContext context, string accountId)
    {
        if (Authorize(context) is { } denied)
        {
            return denied;
        }
        if (!(await JsonBody.ReadAsync(context, AccountsJson.Wire.LegalHoldRequest)).TryGet(out var body, out var error))
        {
            return error;
        }
        if (body.Hold is not { } hold)
        {
            return ApiError.InvalidRequest("'hold' is required: true places a legal hold, false releases it.", "hold");
        }
        return View(await lifecycle.SetLegalHoldAsync(accountId, hold, body.Reason, Actor, SourceIp(context), context.RequestAborted));
    }

    private IResult View(Outcome<Account> result) => result.TryGet(out var account, out var error)
        ? TypedResults.Json(AccountView.From(account, accountOptions.Value), AccountsJson.Wire.AccountView)
        : error;

    /// <summary>Null when the request carries the operator secret; otherwise the error to answer with. A wrong or missing
    /// secret counts against the source address like a wrong gateway key (logged per burst, 429 once it has no failures
    /// left, then not even compared).</summary>
    public ApiError? Authorize(HttpContext context)
    {
        var secret = operatorOptions.CurrentValue.Secret;
        if (string.IsNullOrEmpty(secret))
        {
            return ApiError.Forbidden("operator_api_disabled",
                "The operator API is disabled: this deployment has no Sluice:Operator:Secret. Use the local host's CLI instead.");
        }
        var source = SourceIp(context);
        if (throttle.Refusal(source) is { } refusal)
        {
            return refusal;
        }
        var header = context.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        // Hash both sides so the comparison takes the same time whatever the lengths.
        var equal = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        if (equal)
        {
            return null;
        }
        throttle.Failed(source, "operator_secret");
        return new ApiError(401, "invalid_request_error", "invalid_operator_secret", "The operator secret is missing or wrong.");
    }

    private System.Net.IPAddress? SourceIp(HttpContext context) => ClientAddress.Of(context, forwardedFor.Value);
}
