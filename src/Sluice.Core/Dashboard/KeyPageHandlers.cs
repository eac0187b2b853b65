using Microsoft.AspNetCore.Http;
using Sluice.Accounts;
using Sluice.Dashboard.Pages;
using Sluice.Wire;

namespace Sluice.Dashboard;

/// <summary>
/// The Keys page: the account's keys as <c>GET /v1/keys</c> lists them (never a secret, only its last four
/// characters), creating one (<see cref="AccountLifecycle.CreateKeyAsync"/>: the secret is in that one response and
/// nowhere else) and revoking one (<see cref="AccountLifecycle.RevokeKeyAsync"/>, after a confirmation), for the
/// role the key API needs (<see cref="RoleRules.ManagePrincipals"/>) and by its rules.
/// </summary>
public sealed class KeyPageHandlers(MemberRequests requests, KeyStore keys, AccountLifecycle lifecycle)
{
    /// <summary>Most models a key's list may name through the form.</summary>
    public const int MaxModels = 100;

    public static string Path(string accountId) => DashboardPages.AccountPath(accountId) + "/keys";

    public static string RevokePath(string accountId, string keyId) => $"{Path(accountId)}/{Uri.EscapeDataString(keyId)}/revoke";

    /// <summary><c>GET /dashboard/accounts/{accountId}/keys</c>.</summary>
    public async Task<IResult> KeysAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.Keys)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var notice = context.Request.Query.ContainsKey("revoked") ? "The key is revoked: requests with it are refused from now on." : null;
        return await PageAsync(context, caller, created: null, notice, error: null);
    }

    /// <summary><c>POST /dashboard/accounts/{accountId}/keys</c> with <c>name</c>, <c>role</c> and <c>models</c> (one per
    /// line or comma-separated): the page again, with the new key's secret shown this once.</summary>
    public async Task<IResult> CreateAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.ManageKeys)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var models = form["models"].ToString().Split([',', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (models.Length > MaxModels)
        {
            return await PageAsync(context, caller, null, null, ApiError.InvalidRequest($"A key's model list may name at most {MaxModels} models.", "models"));
        }
        var name = form["name"].ToString().Trim();
        var request = new CreateKeyRequest(name.Length == 0 ? null : name, form["role"].ToString(), ExpiresAt: null, models);
        var created = await lifecycle.CreateKeyAsync(caller.Account, request, caller.Role, caller.Actor, caller.ClientIp, context.RequestAborted);
        return await PageAsync(context, caller, created.Value, null, created.Error);
    }

    /// <summary><c>GET …/keys/{keyId}/revoke</c>: what revoking means, and the button that does it.</summary>
    public async Task<IResult> ConfirmRevokeAsync(HttpContext context, string accountId, string keyId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.ConfirmRevokeKey)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        return await keys.GetAsync(accountId, keyId, context.RequestAborted) is { } key
            ? ConfirmPage(context, caller, key, error: null)
            : DashboardPages.Refused(context, ApiError.NotFound("The key"));
    }

    /// <summary><c>POST …/keys/{keyId}/revoke</c> with <c>confirm</c> = the key id, so a stray request revokes nothing.</summary>
    public async Task<IResult> RevokeAsync(HttpContext context, string accountId, string keyId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.ManageKeys)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        if (await keys.GetAsync(accountId, keyId, context.RequestAborted) is not { } key)
        {
            return DashboardPages.Refused(context, ApiError.NotFound("The key"));
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (!string.Equals(form["confirm"], key.Id, StringComparison.Ordinal))
        {
            return ConfirmPage(context, caller, key, ApiError.InvalidRequest("Confirm with the key's id to revoke it.", "confirm"));
        }
        return (await lifecycle.RevokeKeyAsync(key, caller.Role, caller.Actor, caller.ClientIp, context.RequestAborted)).TryGet(out _, out var error)
            ? Results.Redirect(Path(accountId) + "?revoked")
            : await PageAsync(context, caller, null, null, error);
    }

    private async Task<IResult> PageAsync(HttpContext context, Caller caller, CreatedKey? created, string? notice, ApiError? error)
    {
        var list = new List<KeyView>();
        await foreach (var key in keys.ListAsync(caller.Account.Id, context.RequestAborted))
        {
            list.Add(KeyView.From(key));
        }
        return DashboardPages.Render<KeysPage>(context, error?.Status ?? StatusCodes.Status200OK, new()
        {
            [nameof(KeysPage.Caller)] = caller,
            [nameof(KeysPage.Token)] = requests.Token(context),
            [nameof(KeysPage.Keys)] = list.OrderBy(k => k.RevokedAt is not null).ThenBy(k => k.CreatedAt).ToList(),
            [nameof(KeysPage.Created)] = created,
            [nameof(KeysPage.Notice)] = notice,
            [nameof(KeysPage.Error)] = error,
        });
    }

    private Microsoft.AspNetCore.Http.HttpResults.RazorComponentResult<RevokeKeyPage> ConfirmPage(HttpContext context, Caller caller, ApiKey key, ApiError? error) =>
        DashboardPages.Render<RevokeKeyPage>(context, error?.Status ?? StatusCodes.Status200OK, new()
        {
            [nameof(RevokeKeyPage.Caller)] = caller,
            [nameof(RevokeKeyPage.Token)] = requests.Token(context),
            [nameof(RevokeKeyPage.Key)] = KeyView.From(key),
            [nameof(RevokeKeyPage.Error)] = error,
        });
}
