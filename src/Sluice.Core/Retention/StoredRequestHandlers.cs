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
        if (!(await authenticator.AuthenticateAdminAsync(context, CallerPurpose.ReadOwnData, "read stored requests")).TryGet(out var caller, out var error))
        {
            return error;
        }
        if (!RequestId.TryParse(requestId, out var id))
        {
            return InvalidId();
        }
        var ct = context.RequestAborted;
        var row = await usage.GetAsync(caller.Account.Id, id, ct);
        var (plaintext, failure) = await payloads.ReadAsync(caller.Account.Id, id, ct);
        using (plaintext)
        {
            if (failure is { } f && f != PayloadFailure.DataKeyDestroyed)
            {
                return f.ToApiError();
            }
            if (row is null && plaintext is null && failure is null)
            {
                return ApiError.NotFound("The request");
            }
            var status = plaintext is not null ? "stored" : failure is null ? "not_stored" : "erased";
            JsonElement? content = null;
            if (plaintext is not null)
            {
                using var document = JsonDocument.Parse(plaintext.Json);
                content = document.RootElement.Clone();
            }
            var view = new StoredRequestView(id.Value, "sluice.request", row is { } r ? UsageRowView.From(r.Record) : null, status, content);
            return TypedResults.Json(view, RetentionJson.Wire.StoredRequestView);
        }
    }

    public async Task<IResult> DeleteAsync(HttpContext context, string requestId)
    {
        if (!(await authenticator.AuthenticateAdminAsync(context, CallerPurpose.Manage, "erase stored requests")).TryGet(out var caller, out var error))
        {
            return error;
        }
        if (!RequestId.TryParse(requestId, out var id))
        {
            return InvalidId();
        }
        var ct = context.RequestAborted;
        if ((await accounts.GetAsync(caller.Account.Id, ct) ?? caller.Account).LegalHold is not null)
        {
            return RetentionHandlers.LegalHoldBlocks();
        }
        var row = await usage.GetAsync(caller.Account.Id, id, ct);
        var deleted = await eraser.EraseRequestAsync(caller.Account.Id, id, CancellationToken.None);
        if (row is null && !deleted)
        {
            return ApiError.NotFound("The request");
        }
        if (deleted)
        {
            await audit.WriteAsync(caller.Account.Id, caller.Actor, "request_content.erased", id.Value, caller.ClientIp,
                null, CancellationToken.None);
        }
        return TypedResults.Json(new ContentErasureView("sluice.request_content_erasure", caller.Account.Id, id.Value, 0, deleted ? 1 : 0, false),
            RetentionJson.Wire.ContentErasureView);
    }

    private static ApiError InvalidId() => ApiError.InvalidRequest(
        "A request id is 'req_' followed by 28 lowercase hex digits (the x-request-id header of the completion's response).", "id");
}
