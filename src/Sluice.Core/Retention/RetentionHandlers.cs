using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Payloads;
using Sluice.Storage;
using Sluice.Wire;

namespace Sluice.Retention;

/// <summary>
/// The account's retention settings and the withdrawal of consent:
/// <c>GET/PUT /v1/account/retention</c> and <c>DELETE /v1/account/content</c>, for Owner and Admin keys.
/// A change is written with the account's ETag (two admins cannot overwrite each other), audited old → new, and
/// dropped from this instance's cache at once, so switching to <c>metadata_only</c> stops storing immediately here
/// (and within the auth cache's lifetime on other instances).
/// </summary>
public sealed partial class RetentionHandlers(
    GatewayAuthenticator authenticator,
    AccountStore accounts,
    AuditLog audit,
    ContentEraser eraser,
    DataKeyRing keys,
    IOptionsMonitor<RetentionOptions> options,
    IOptionsMonitor<PurgeOptions> purgeOptions,
    TimeProvider time,
    ILogger<RetentionHandlers> logger)
{
    private const int MaxAttempts = 5;

    public async Task<IResult> GetAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAdminAsync(context, CallerPurpose.ReadOwnData, "read retention settings");
        if (caller is null)
        {
            return error!;
        }
        var account = await accounts.GetAsync(caller.Account.Id, context.RequestAborted) ?? caller.Account;
        return TypedResults.Json(View(account.Retention), RetentionJson.Wire.RetentionSettingsView);
    }

    public async Task<IResult> PutAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAdminAsync(context, CallerPurpose.Manage, "change retention settings");
        if (caller is null)
        {
            return error!;
        }
        var (body, bodyError) = await JsonBody.ReadAsync(context, RetentionJson.Wire.RetentionSettingsRequest);
        if (body is null)
        {
            return bodyError!;
        }
        var (policy, changeError) = await ChangeAsync(caller, body, context.RequestAborted);
        return policy is null ? changeError! : TypedResults.Json(View(policy), RetentionJson.Wire.RetentionSettingsView);
    }

    /// <summary>Validates and applies a change of the caller's retention settings (the API's PUT and the dashboard's
    /// form alike): within the deployment's limits, written with the account's ETag, audited old → new. The caller is
    /// authenticated for <see cref="CallerPurpose.Manage"/> with <see cref="RoleRules.AccountData"/>.</summary>
    internal async Task<(RetentionPolicy? Policy, ApiError? Error)> ChangeAsync(Caller caller, RetentionSettingsRequest body, CancellationToken ct)
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var account = await accounts.GetAsync(caller.Account.Id, ct);
            if (account is null)
            {
                return (null, ApiError.NotFound("The account"));
            }
            var (next, invalid) = Apply(account.Retention, body);
            if (next is null)
            {
                return (null, invalid!);
            }
            if (next == account.Retention)
            {
                return (next, null);
            }
            if (next.ContentMode == ContentMode.RetainAll && next.ContentRetentionDays > 0 && keys.Master().Key is null)
            {
                return (null, ApiError.Conflict("content_storage_unavailable",
                    "This deployment cannot store content: it has no valid payload master key (Sluice:Payloads:MasterKey). Contact the operator."));
            }
            if (await accounts.TryUpdateAsync(account with { Retention = next }, ct) is null)
            {
                continue;
            }
            authenticator.Forget(account.Id);
            await audit.WriteAsync(account.Id, caller.Actor, "retention.changed", account.Id, caller.ClientIp,
                Describe(account.Retention, next), CancellationToken.None);
            Log.Changed(logger, account.Id, next.ContentMode.ToWire(), next.ContentRetentionDays, next.UsageRetentionDays);
            return (next, null);
        }
        return (null, ApiError.Conflict("concurrent_update", "The account was changed by someone else at the same moment; try again."));
    }

    /// <summary>Erases all stored content of the account now: its data keys are destroyed first (everything becomes
    /// unreadable at once), then its blobs are deleted and the rows' references cleared; the rows are kept.</summary>
    public async Task<IResult> EraseContentAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAdminAsync(context, CallerPurpose.Manage, "erase the account's content");
        if (caller is null)
        {
            return error!;
        }
        var (erasure, eraseError) = await EraseContentAsync(caller, context.RequestAborted);
        return erasure is null
            ? eraseError!
            : TypedResults.Json(new ContentErasureView("sluice.content_erasure", caller.Account.Id, null, erasure.DataKeysDestroyed,
                erasure.BlobsDeleted, erasure.Remaining), RetentionJson.Wire.ContentErasureView,
                statusCode: erasure.Remaining ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
    }

    /// <summary>The withdrawal of consent for the caller's account (API and dashboard alike), refused under a legal
    /// hold and audited. The caller is authenticated for <see cref="CallerPurpose.Manage"/> with
    /// <see cref="RoleRules.AccountData"/>.</summary>
    internal async Task<(ContentErasure? Erasure, ApiError? Error)> EraseContentAsync(Caller caller, CancellationToken ct)
    {
        if ((await accounts.GetAsync(caller.Account.Id, ct) ?? caller.Account).LegalHold is not null)
        {
            return (null, LegalHoldBlocks());
        }
        var o = purgeOptions.CurrentValue;
        var run = new PurgeRun("erase_" + Guid.NewGuid().ToString("N")[..12], time.GetUtcNow(), o.MaxDeletesPerRun, o.PurgeBatchSize);
        // The erasure must not stop halfway because the client hung up: no request token.
        var erasure = await eraser.EraseAccountContentAsync(caller.Account.Id, run, CancellationToken.None);
        await audit.WriteAsync(caller.Account.Id, caller.Actor, "content.erased", caller.Account.Id, caller.ClientIp,
            string.Create(CultureInfo.InvariantCulture, $"data_keys={erasure.DataKeysDestroyed} blobs={erasure.BlobsDeleted} remaining={erasure.Remaining}"),
            CancellationToken.None);
        Log.Erased(logger, caller.Account.Id, erasure.DataKeysDestroyed, erasure.BlobsDeleted, erasure.Remaining);
        return (erasure, null);
    }

    internal static ApiError LegalHoldBlocks() => ApiError.Conflict("legal_hold",
        "A legal hold on this account blocks erasing its data until the operator releases it.");

    private (RetentionPolicy? Policy, ApiError? Error) Apply(RetentionPolicy current, RetentionSettingsRequest body)
    {
        var o = options.CurrentValue;
        var mode = current.ContentMode;
        if (body.ContentMode is not null && !ContentModeNames.TryParse(body.ContentMode, out mode))
        {
            return (null, ApiError.InvalidRequest("'content_mode' must be metadata_only or retain_all.", "content_mode"));
        }
        var contentDays = body.ContentRetentionDays ?? current.ContentRetentionDays;
        var usageDays = body.UsageRetentionDays ?? current.UsageRetentionDays;
        if (contentDays < o.MinContentRetentionDays || contentDays > o.MaxContentRetentionDays)
        {
            return (null, ApiError.InvalidRequest(
                $"'content_retention_days' must be from {o.MinContentRetentionDays} to {o.MaxContentRetentionDays} on this deployment.",
                "content_retention_days"));
        }
        if (usageDays < o.MinUsageRetentionDays || usageDays > o.MaxUsageRetentionDays)
        {
            return (null, ApiError.InvalidRequest(
                $"'usage_retention_days' must be from {o.MinUsageRetentionDays} to {o.MaxUsageRetentionDays} on this deployment.",
                "usage_retention_days"));
        }
        if (contentDays > usageDays)
        {
            return (null, ApiError.InvalidRequest(
                $"'content_retention_days' ({contentDays}) must not exceed 'usage_retention_days' ({usageDays}): content never outlives its metadata row.",
                "content_retention_days"));
        }
        return (new RetentionPolicy(mode, contentDays, usageDays), null);
    }

    /// <summary>The settings with the deployment's limits, as the API shows them.</summary>
    internal RetentionSettingsView View(RetentionPolicy p)
    {
        var o = options.CurrentValue;
        return new RetentionSettingsView(p.ContentMode.ToWire(), p.ContentRetentionDays, p.UsageRetentionDays,
            new RetentionLimitsView(new DayRange(o.MinContentRetentionDays, o.MaxContentRetentionDays),
                new DayRange(o.MinUsageRetentionDays, o.MaxUsageRetentionDays), purgeOptions.CurrentValue.RollupRetentionDays,
                [ContentConsent.StoreHeader, ContentConsent.DaysHeader]));
    }

    private static string Describe(RetentionPolicy old, RetentionPolicy next)
    {
        var changes = new List<string>(3);
        if (old.ContentMode != next.ContentMode)
        {
            changes.Add($"content_mode: {old.ContentMode.ToWire()} -> {next.ContentMode.ToWire()}");
        }
        if (old.ContentRetentionDays != next.ContentRetentionDays)
        {
            changes.Add(string.Create(CultureInfo.InvariantCulture, $"content_retention_days: {old.ContentRetentionDays} -> {next.ContentRetentionDays}"));
        }
        if (old.UsageRetentionDays != next.UsageRetentionDays)
        {
            changes.Add(string.Create(CultureInfo.InvariantCulture, $"usage_retention_days: {old.UsageRetentionDays} -> {next.UsageRetentionDays}"));
        }
        return string.Join("; ", changes);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Retention of account {AccountId} changed: {ContentMode}, content {ContentDays} d, usage {UsageDays} d.")]
        public static partial void Changed(ILogger logger, string accountId, string contentMode, int contentDays, int usageDays);

        [LoggerMessage(2, LogLevel.Information, "Content of account {AccountId} erased: {DataKeys} data keys destroyed, {Blobs} blobs deleted, remaining: {Remaining}.")]
        public static partial void Erased(ILogger logger, string accountId, long dataKeys, long blobs, bool remaining);
    }
}
