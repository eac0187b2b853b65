using Microsoft.AspNetCore.Http;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>
/// The customer's key API (Owner and Admin): create (the secret is shown once), list (never the secret), change role
/// or model allowlist, revoke. Keys are looked up inside the caller's own account partition, so another account's
/// key id is simply not found: a 404, which reveals nothing about whether it exists elsewhere.
/// </summary>
public sealed class KeyHandlers(GatewayAuthenticator authenticator, AccountLifecycle lifecycle, KeyStore keys)
{
    /// <summary><c>GET /v1/keys</c>.</summary>
    public async Task<IResult> ListKeysAsync(HttpContext context)
    {
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.ReadOwnData, RoleRules.ManagePrincipals)).TryGet(out var caller, out var error))
        {
            return error;
        }
        var list = new List<KeyView>();
        await foreach (var key in keys.ListAsync(caller.Account.Id, context.RequestAborted))
        {
            list.Add(KeyView.From(key));
        }
        return TypedResults.Json(new KeyList([.. list.OrderBy(k => k.CreatedAt)]), AccountsJson.Wire.KeyList);
    }

    /// <summary><c>POST /v1/keys</c> with <c>{"role","name","expires_at","allowed_models"}</c>: 201 with the secret, once.</summary>
    public async Task<IResult> CreateKeyAsync(HttpContext context)
    {
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.Manage, RoleRules.ManagePrincipals)).TryGet(out var caller, out var error))
        {
            return error;
        }
        if (!(await JsonBody.ReadAsync(context, AccountsJson.Wire.CreateKeyRequest)).TryGet(out var body, out var bodyError))
        {
            return bodyError;
        }
        return (await lifecycle.CreateKeyAsync(caller.Account, body, caller.Role, caller.Actor, caller.ClientIp, context.RequestAborted)).TryGet(out var key, out var keyError)
            ? TypedResults.Json(key, AccountsJson.Wire.CreatedKey, statusCode: StatusCodes.Status201Created)
            : keyError;
    }

    /// <summary><c>PATCH /v1/keys/{keyId}</c> with <c>{"role","allowed_models","name"}</c>.</summary>
    public async Task<IResult> UpdateKeyAsync(HttpContext context, string keyId)
    {
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.Manage, RoleRules.ManagePrincipals)).TryGet(out var caller, out var error))
        {
            return error;
        }
        if (!(await JsonBody.ReadAsync(context, AccountsJson.Wire.UpdateKeyRequest)).TryGet(out var body, out var bodyError))
        {
            return bodyError;
        }
        if (await keys.GetAsync(caller.Account.Id, keyId, context.RequestAborted) is not { } key)
        {
            return ApiError.NotFound("The key");
        }
        return (await lifecycle.UpdateKeyAsync(key, body, caller.Role, caller.Actor, caller.ClientIp, context.RequestAborted)).TryGet(out var updated, out var updateError)
            ? TypedResults.Json(KeyView.From(updated), AccountsJson.Wire.KeyView)
            : updateError;
    }

    /// <summary><c>DELETE /v1/keys/{keyId}</c>: revokes the key (it stays listed, with <c>revoked_at</c>, for the record).</summary>
    public async Task<IResult> RevokeKeyAsync(HttpContext context, string keyId)
    {
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.Manage, RoleRules.ManagePrincipals)).TryGet(out var caller, out var error))
        {
            return error;
        }
        if (await keys.GetAsync(caller.Account.Id, keyId, context.RequestAborted) is not { } key)
        {
            return ApiError.NotFound("The key");
        }
        return (await lifecycle.RevokeKeyAsync(key, caller.Role, caller.Actor, caller.ClientIp, context.RequestAborted)).TryGet(out var revoked, out var revokeError)
            ? TypedResults.Json(KeyView.From(revoked), AccountsJson.Wire.KeyView)
            : revokeError;
    }
}
