using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Payloads;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Retention;

/// <summary>A request as <c>GET /v1/requests/{id}</c> shows it: its usage row and, while retained, its content.
/// <c>content_status</c> is <c>stored</c>, <c>not_stored</c> (never stored, or removed when its period ended) or
/// <c>erased</c> (its data key was destroyed).</summary>
internal sealed record StoredRequestView(
    string Id,
    string Object,
    UsageRowView? Usage,
    string ContentStatus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonElement? Content);

/// <summary>
/// <c>GET /v1/requests/{id}</c> (the stored request, decrypted) and <c>DELETE /v1/requests/{id}</c> (erase its content,
/// keep its metadata), for Owner and Admin keys. Both look the request up under the caller's own account only (the
/// row's PartitionKey and the blob's name start with the account id), so another account's id is simply not found.
/// </summary>
public sealed class StoredRequestHandlers(
    GatewayAuthenticator authenticator,
    AccountStore accounts,
    UsageTable usage,
    PayloadStore payloads,
    ContentEraser eraser,
    AuditLog audit)
{
    public async Task<IResult> GetAsync(HttpContext context, string requestId)
    {
        var (caller, error) = await authenticator.AuthenticateAdminAsync(context, CallerPurpose.ReadOwnData, "read stored requests");
        if (caller is null)
        {
            return error!;
        }
        if (!RequestId.TryParse(requestId, out var id))
        {
            return InvalidId();
        }
        var (view, readError) = await ReadAsync(caller, id, await usage.GetAsync(caller.Account.Id, id, context.RequestAborted), context.RequestAborted);
        return view is null ? readError! : TypedResults.Json(view, RetentionJson.Wire.StoredRequestView);
    }

    /// <summary>One request of the caller's account with its decrypted content (the API's GET and the dashboard's
    /// Requests page alike), given its usage row if it has one. The caller is authenticated for
    /// <see cref="CallerPurpose.ReadOwnData"/> with <see cref="RoleRules.AccountData"/>.</summary>
    internal async Task<(StoredRequestView? View, ApiError? Error)> ReadAsync(Caller caller, RequestId id, (UsageRecord Record, Azure.Data.Tables.TableEntity Entity)? row,
        CancellationToken ct)
    {
        var (plaintext, failure) = await payloads.ReadAsync(caller.Account.Id, id, ct);
        using (plaintext)
        {
            if (failure is { } f && f != PayloadFailure.DataKeyDestroyed)
            {
                return (null, f.ToApiError());
            }
            if (row is null && plaintext is null && failure is null)
            {
                return (null, ApiError.NotFound("The request"));
            }
            var status = plaintext is not null ? "stored" : failure is null ? "not_stored" : "erased";
            JsonElement? content = null;
            if (plaintext is not null)
            {
                using var document = JsonDocument.Parse(plaintext.Json);
                content = document.RootElement.Clone();
            }
            return (new StoredRequestView(id.Value, "sluice.request", row is { } r ? UsageRowView.From(r.Record) : null, status, content), null);
        }
    }

    public async Task<IResult> DeleteAsync(HttpContext context, string requestId)
    {
        var (caller, error) = await authenticator.AuthenticateAdminAsync(context, CallerPurpose.Manage, "erase stored requests");
        if (caller is null)
        {
            return error!;
        }
        if (!RequestId.TryParse(requestId, out var id))
        {
            return InvalidId();
        }
        var (deleted, eraseError) = await EraseAsync(caller, id, context.RequestAborted);
        return eraseError is not null
            ? eraseError
            : TypedResults.Json(new ContentErasureView("sluice.request_content_erasure", caller.Account.Id, id.Value, 0, deleted ? 1 : 0, false),
                RetentionJson.Wire.ContentErasureView);
    }

    /// <summary>Erases one request's content and keeps its metadata (the API's DELETE and the dashboard's erase button
    /// alike): refused under a legal hold, audited when something was erased. The caller is authenticated for
    /// <see cref="CallerPurpose.Manage"/> with <see cref="RoleRules.AccountData"/>.</summary>
    internal async Task<(bool Deleted, ApiError? Error)> EraseAsync(Caller caller, RequestId id, CancellationToken ct)
    {
        if ((await accounts.GetAsync(caller.Account.Id, ct) ?? caller.Account).LegalHold is not null)
        {
            return (false, RetentionHandlers.LegalHoldBlocks());
        }
        var row = await usage.GetAsync(caller.Account.Id, id, ct);
        var deleted = await eraser.EraseRequestAsync(caller.Account.Id, id, CancellationToken.None);
        if (row is null && !deleted)
        {
            return (false, ApiError.NotFound("The request"));
        }
        if (deleted)
        {
            await audit.WriteAsync(caller.Account.Id, caller.Actor, "request_content.erased", id.Value, caller.ClientIp,
                null, CancellationToken.None);
        }
        return (deleted, null);
    }

    internal static ApiError InvalidId() => ApiError.InvalidRequest(
        "A request id is 'req_' followed by 28 lowercase hex digits (the x-request-id header of the completion's response).", "id");
}
