using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Wire;

namespace Sluice.Routing;

/// <summary>
/// <c>GET/PUT /v1/account/data-policy</c>: an account's upstream data policy, read and changed by its Owner or an
/// Admin. A change is validated, held to the deployment's floors when it declares them, written with the account's
/// ETag (retried on a concurrent change), audited as <c>data_policy.changed</c> with the old and new settings, and
/// takes effect on this instance at once (the cached account is dropped) and on others within the auth cache's TTL.
/// </summary>
public sealed class DataPolicyHandlers(
    GatewayAuthenticator authenticator,
    AccountStore accounts,
    AuditLog audit,
    RouteSelector selector,
    IOptionsMonitor<DataPolicyOptions> deployment)
{
    public const string AuditAction = "data_policy.changed";

    /// <summary>Concurrent changes to one account are rare (operators and admins); a few re-reads settle them.</summary>
    private const int MaxAttempts = 5;

    private const string What = "read or change the account's data policy";

    public async Task<IResult> GetAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAdminAsync(context, CallerPurpose.ReadOwnData, What);
        return caller is null ? error! : View(caller.Account);
    }

    public async Task<IResult> PutAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAdminAsync(context, CallerPurpose.Manage, What);
        if (caller is null)
        {
            return error!;
        }
        var (update, bodyError) = await JsonBody.ReadAsync(context, RoutingJson.Wire.DataPolicyUpdate);
        if (update is null)
        {
            return bodyError!;
        }
        var (account, changeError) = await ChangeAsync(caller, update, context.RequestAborted);
        return account is null ? changeError! : View(account);
    }

    /// <summary>Validates and applies a change of the caller's data policy (the API's PUT and the dashboard's form
    /// alike): held to the deployment's floors, written with the account's ETag, audited old → new. The caller is
    /// authenticated for <see cref="CallerPurpose.Manage"/> with <see cref="RoleRules.AccountData"/>.</summary>
    internal async Task<(Account? Account, ApiError? Error)> ChangeAsync(Caller caller, DataPolicyUpdate update, CancellationToken ct)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var account = await accounts.GetAsync(caller.Account.Id, ct);
            if (account is null)
            {
                return (null, ApiError.NotFound("The account"));
            }
            // Settings left out keep the value in force now, which already honours the floors.
            var current = selector.AccountPolicy(account);
            var requested = new DataPolicy(
                update.InRegionOnly ?? current.InRegionOnly,
                update.ZeroRetentionOnly ?? current.ZeroRetentionOnly,
                update.AllowTraining ?? current.AllowTraining);
            if (BelowFloor(requested) is { } floorError)
            {
                return (null, floorError);
            }
            if (account.DataPolicy == requested)
            {
                return (account, null);
            }
            var updated = await accounts.TryUpdateAsync(account with { DataPolicy = requested }, ct);
            if (updated is null)
            {
                continue;
            }
            authenticator.Forget(account.Id);
            // The change is made: record it even if the caller has gone away meanwhile.
            await audit.WriteAsync(account.Id, caller.Actor, AuditAction, account.Id, caller.ClientIp,
                $"{Describe(account.DataPolicy)} -> {Describe(requested)}", CancellationToken.None);
            return (updated, null);
        }
        return (null, ApiError.Conflict("concurrent_update", "The account was changed by someone else while this update was applied; try again."));
    }

    /// <summary>The first setting of <paramref name="requested"/> looser than a floor the deployment enforces, as a
    /// 400 that names the floor; null when the deployment enforces none or the policy is at least as strict.</summary>
    private ApiError? BelowFloor(DataPolicy requested)
    {
        var options = deployment.CurrentValue;
        if (!options.EnforceAsFloor)
        {
            return null;
        }
        var floor = options.ToPolicy();
        var field = floor.InRegionOnly && !requested.InRegionOnly ? "in_region_only"
            : floor.ZeroRetentionOnly && !requested.ZeroRetentionOnly ? "zero_retention_only"
            : !floor.AllowTraining && requested.AllowTraining ? "allow_training"
            : null;
        return field is null ? null : new ApiError(400, "invalid_request_error", "data_policy_below_floor",
            $"This deployment enforces a data policy floor ({Describe(floor)}); '{field}' cannot be loosened below it. An account can only tighten the floor.",
            field);
    }

    private JsonHttpResult<DataPolicyResponse> View(Account account) => TypedResults.Json(Settings(account), RoutingJson.Wire.DataPolicyResponse);

    /// <summary>The policy in force for <paramref name="account"/>, where it comes from, and the deployment's defaults.</summary>
    internal DataPolicyResponse Settings(Account account)
    {
        var options = deployment.CurrentValue;
        var policy = selector.AccountPolicy(account);
        return new DataPolicyResponse("data_policy", policy.InRegionOnly, policy.ZeroRetentionOnly, policy.AllowTraining,
            account.DataPolicy is null ? "deployment" : "account", selector.StampRegion,
            new DeploymentDataPolicy(options.InRegionOnly, options.ZeroRetentionOnly, options.AllowTraining, options.EnforceAsFloor));
    }

    private static string Describe(DataPolicy? policy) => policy is null
        ? "deployment default"
        : $"in_region_only={Bool(policy.InRegionOnly)},zero_retention_only={Bool(policy.ZeroRetentionOnly)},allow_training={Bool(policy.AllowTraining)}";

    private static string Bool(bool value) => value ? "true" : "false";
}
