using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Retention;
using Sluice.Routing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Dashboard;

/// <summary>
/// The account-data pages for members: Settings → Policies, Requests and Data. Every page and form acts as the
/// signed-in member through the methods the API's routes call (<see cref="RetentionHandlers"/>,
/// <see cref="DataPolicyHandlers"/>, <see cref="StoredRequestHandlers"/>, <see cref="AccountHandlers"/>), with the
/// API's account state and role for each (<see cref="RoleRules.AccountData"/>, <see cref="RoleRules.CloseAccount"/>),
/// so validation, audit entries and refusals are the API's own.
/// </summary>
public sealed class AccountDataHandlers(
    MemberRequests requests,
    RetentionHandlers retention,
    DataPolicyHandlers dataPolicy,
    StoredRequestHandlers storedRequests,
    AccountHandlers accountHandlers,
    AccountStore accounts,
    UsageTable usage,
    IOptions<AccountOptions> accountOptions,
    TimeProvider time)
{
    /// <summary>Stored requests per page of the Requests page: each is read and decrypted for the page.</summary>
    public const int RequestsPerPage = 20;

    private static readonly JsonWriterOptions s_indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>GET …/settings/policies</c>: the settings as <c>GET /v1/account/retention</c> and
    /// <c>GET /v1/account/data-policy</c> show them.</summary>
    public async Task<IResult> PoliciesAsync(HttpContext context, string accountId)
    {
        return !(await requests.BeginAsync(context, accountId, DashboardAccess.AccountData)).TryGet(out var caller, out var refusal)
            ? refusal
            : PoliciesPage(context, caller, caller.Account, error: null, saved: context.Request.Query.ContainsKey("saved"));
    }

    /// <summary><c>POST …/settings/policies/retention</c> with <c>content_mode</c>, <c>content_retention_days</c> and
    /// <c>usage_retention_days</c>: <c>PUT /v1/account/retention</c>'s change.</summary>
    public async Task<IResult> SaveRetentionAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.ChangeAccountData)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var contentDays = Days(form, "content_retention_days");
        var usageDays = Days(form, "usage_retention_days");
        var error = contentDays.Error ?? usageDays.Error;
        if (error is null)
        {
            error = (await retention.ChangeAsync(caller,
                new RetentionSettingsRequest(form["content_mode"].ToString() is { Length: > 0 } mode ? mode : null, contentDays.Value, usageDays.Value),
                context.RequestAborted)).Error;
        }
        return error is null ? Results.Redirect(DashboardPages.PoliciesPath(accountId) + "?saved") : await PoliciesWithErrorAsync(context, caller, error);
    }

    /// <summary><c>POST …/settings/policies/data-policy</c> with the checkboxes <c>in_region_only</c>,
    /// <c>zero_retention_only</c> and <c>allow_training</c> (an unticked box is not sent: false):
    /// <c>PUT /v1/account/data-policy</c>'s change.</summary>
    public async Task<IResult> SaveDataPolicyAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.ChangeAccountData)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var update = new DataPolicyUpdate(Ticked(form, "in_region_only"), Ticked(form, "zero_retention_only"), Ticked(form, "allow_training"));
        var error = (await dataPolicy.ChangeAsync(caller, update, context.RequestAborted)).Error;
        return error is null ? Results.Redirect(DashboardPages.PoliciesPath(accountId) + "?saved") : await PoliciesWithErrorAsync(context, caller, error);
    }

    /// <summary><c>GET …/requests[?before=req_…]</c>: the account's stored requests, newest first, each decrypted as
    /// <c>GET /v1/requests/{id}</c> reads it. A <c>metadata_only</c> account gets a sentence instead.</summary>
    public async Task<IResult> RequestsAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.AccountData)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        RequestId? before = null;
        if (context.Request.Query["before"].ToString() is { Length: > 0 } cursor)
        {
            if (!RequestId.TryParse(cursor, out var parsed))
            {
                return DashboardPages.Refused(context, StoredRequestHandlers.InvalidId());
            }
            before = parsed;
        }
        var policy = caller.Account.Retention;
        if (policy.ContentMode != ContentMode.RetainAll)
        {
            return DashboardPages.Requests(context, caller, requests.Token(context), storesContent: false, [], olderPage: null,
                context.Request.Query.ContainsKey("erased"));
        }
        var ct = context.RequestAborted;
        var now = time.GetUtcNow();
        // Content lives at most the account's content period (a request can only shorten it), so older days hold none.
        var from = now.AddDays(-Math.Max(policy.ContentRetentionDays, 1));
        var to = before?.CreatedAt ?? now;
        var entries = new List<StoredRequestEntry>(RequestsPerPage);
        string? olderPage = null;
        await foreach (var row in usage.QueryAsync(caller.Account.Id, from, to, ct))
        {
            if (row.ContentBlob is null || (before is { } b && string.CompareOrdinal(UsageTable.RowKey(row.RequestId), UsageTable.RowKey(b)) <= 0))
            {
                continue;
            }
            if (entries.Count == RequestsPerPage)
            {
                olderPage = DashboardPages.RequestsPath(accountId) + "?before=" + entries[^1].Id;
                break;
            }
            var read = await storedRequests.ReadAsync(caller, row.RequestId, null, ct);
            var (view, error) = (read.Value, read.Error);
            if (view is { Content: null } || error?.Status == StatusCodes.Status404NotFound)
            {
                // Erased or expired since the row was written: nothing to show.
                continue;
            }
            // Content that cannot be read (storage unavailable, a tampered copy) is listed with the API's reason, not hidden.
            entries.Add(new StoredRequestEntry(row.RequestId.Value, row.RequestId.CreatedAt, row.Model, row.PromptTokens, row.CompletionTokens,
                row.Status, view?.Content is { } content ? Indented(content) : null, error?.Message));
        }
        return DashboardPages.Requests(context, caller, requests.Token(context), storesContent: true, entries, olderPage,
            context.Request.Query.ContainsKey("erased"));
    }

    /// <summary><c>POST …/requests/{requestId}/erase</c>: <c>DELETE /v1/requests/{id}</c>'s erasure.</summary>
    public async Task<IResult> EraseRequestAsync(HttpContext context, string accountId, string requestId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.ChangeAccountData)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        if (!RequestId.TryParse(requestId, out var id))
        {
            return DashboardPages.Refused(context, StoredRequestHandlers.InvalidId());
        }
        var error = (await storedRequests.EraseAsync(caller, id, context.RequestAborted)).Error;
        return error is null ? Results.Redirect(DashboardPages.RequestsPath(accountId) + "?erased") : DashboardPages.Refused(context, error);
    }

    /// <summary><c>GET …/data</c>: the account's state, the export, erasing all content and closing the account.</summary>
    public async Task<IResult> DataAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.AccountData)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var query = context.Request.Query;
        var notice = query.ContainsKey("erased") ? "All stored content of this account was erased: its data keys are destroyed and its stored copies deleted."
            : query.ContainsKey("erasing") ? "Its data keys are destroyed, so no stored content can be read any more; the remaining copies are deleted by the next purge run."
            : query.ContainsKey("closed") ? "The account is closed."
            : null;
        return DashboardPages.Data(context, caller, requests.Token(context), accountOptions.Value, notice, error: null);
    }

    /// <summary><c>POST …/data/erase-content</c>: withdrawing consent, <c>DELETE /v1/account/content</c>'s erasure.</summary>
    public async Task<IResult> EraseContentAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.ChangeAccountData)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        return (await retention.EraseContentAsync(caller, context.RequestAborted)).TryGet(out var erasure, out var error)
            ? Results.Redirect(DashboardPages.DataPath(accountId) + (erasure.Remaining ? "?erasing" : "?erased"))
            : DashboardPages.Data(context, caller, requests.Token(context), accountOptions.Value, notice: null, error);
    }

    /// <summary><c>POST …/data/close</c> with <c>confirm</c> (the account id, typed): <c>POST /v1/account/close</c>.</summary>
    public async Task<IResult> CloseAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.CloseAccount)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var closed = await accountHandlers.CloseAsync(caller, form["confirm"].ToString().Trim(), context.RequestAborted);
        return closed.Error is { } error
            ? DashboardPages.Data(context, caller, requests.Token(context), accountOptions.Value, notice: null, error)
            : Results.Redirect(DashboardPages.DataPath(accountId) + "?closed");
    }

    private async Task<IResult> PoliciesWithErrorAsync(HttpContext context, Caller caller, ApiError error)
    {
        // The settings as stored now (nothing of the refused form was saved).
        var account = await accounts.GetAsync(caller.Account.Id, context.RequestAborted) ?? caller.Account;
        return PoliciesPage(context, caller, account, error, saved: false);
    }

    private IResult PoliciesPage(HttpContext context, Caller caller, Account account, ApiError? error, bool saved)
    {
        var r = retention.View(account.Retention);
        var d = dataPolicy.Settings(account);
        var settings = new PolicySettings(
            r.ContentMode, r.ContentRetentionDays, r.UsageRetentionDays,
            r.Limits.ContentRetentionDays.Min, r.Limits.ContentRetentionDays.Max, r.Limits.UsageRetentionDays.Min, r.Limits.UsageRetentionDays.Max,
            r.Limits.RollupRetentionDays,
            d.InRegionOnly, d.ZeroRetentionOnly, d.AllowTraining, FromDeployment: d.Source == "deployment", d.DataRegion,
            d.Deployment.EnforcedAsFloor, d.Deployment.InRegionOnly, d.Deployment.ZeroRetentionOnly, d.Deployment.AllowTraining);
        return DashboardPages.Policies(context, caller, requests.Token(context), settings, saved, error);
    }

    /// <summary>A whole number of days from a form field, or the API's 400 naming the field; empty keeps the current value.</summary>
    /// <summary>A field of whole days; a success with no value when the field was left empty (keep the current setting).</summary>
    private static Outcome<int?> Days(IFormCollection form, string field)
    {
        var text = form[field].ToString().Trim();
        if (text.Length == 0)
        {
            return (int?)null;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var days)
            ? (int?)days
            : ApiError.InvalidRequest($"'{field}' must be a whole number of days.", field);
    }

    private static bool Ticked(IFormCollection form, string field) => form[field].ToString() is "on" or "true";

    private static string Indented(JsonElement content)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_indented))
        {
            content.WriteTo(writer);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
