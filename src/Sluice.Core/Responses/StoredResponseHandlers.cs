using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Wire;
using Sluice.Accounts;
using Sluice.Payloads;
using Sluice.Proxy;
using Sluice.Retention;
using Sluice.Routing;
using Sluice.Translation;
using Sluice.Usage;

namespace Sluice.Responses;

/// <summary>
/// The rest of the Responses API, served from Sluice's own content store (the provider keeps nothing):
/// <c>GET /v1/responses/{id}</c>, <c>DELETE /v1/responses/{id}</c> (erases the content as
/// <c>DELETE /v1/requests/{id}</c> does, keeps the usage row), <c>GET /v1/responses/{id}/input_items</c>, and
/// <c>POST /v1/responses/input_tokens</c> (counted here with the gateway's tokenizer). Any key of the account may use
/// them, as it may create responses; lookups start from the caller's own account, so another account's id is simply
/// not found. A <c>metadata_only</c> account gets a 400 that says it keeps no content.
/// </summary>
public sealed class StoredResponseHandlers(
    GatewayAuthenticator authenticator,
    AccountStore accounts,
    PayloadStore payloads,
    ContentEraser eraser,
    AuditLog audit,
    TokenEstimator estimator,
    RequestBodyBudget bodyBudget,
    RouteSelector routes,
    IOptions<ProxyOptions> options)
{
    public async Task<IResult> GetAsync(HttpContext context, string responseId)
    {
        var (caller, error) = await authenticator.AuthenticateAsync(context, CallerPurpose.Proxy);
        if (caller is null)
        {
            return error!;
        }
        var (stored, readError) = await StoredResponse.ReadAsync(payloads, caller.Account, responseId, "response_id", context.RequestAborted);
        if (stored is null)
        {
            return readError!;
        }
        using (stored)
        {
            return Json(context, stored.Response);
        }
    }

    public async Task<IResult> DeleteAsync(HttpContext context, string responseId)
    {
        var (caller, error) = await authenticator.AuthenticateAsync(context, CallerPurpose.Proxy);
        if (caller is null)
        {
            return error!;
        }
        if (caller.Account.Retention.ContentMode != ContentMode.RetainAll)
        {
            return StoredResponse.KeepsNoContent("response_id");
        }
        if (ResponseIdentity.RequestIdOf(responseId) is not { } requestId || !RequestId.TryParse(requestId, out var id))
        {
            return ApiError.NotFound("The response");
        }
        var ct = context.RequestAborted;
        if ((await accounts.GetAsync(caller.Account.Id, ct) ?? caller.Account).LegalHold is not null)
        {
            return RetentionHandlers.LegalHoldBlocks();
        }
        var deleted = await eraser.EraseRequestAsync(caller.Account.Id, id, CancellationToken.None);
        if (!deleted)
        {
            return ApiError.NotFound("The response");
        }
        await audit.WriteAsync(caller.Account.Id, caller.Actor, "request_content.erased", id.Value, caller.ClientIp, null, CancellationToken.None);
        return Results.Text($$"""{"id":"{{responseId}}","object":"response.deleted","deleted":true}""", "application/json");
    }

    /// <summary>The input items of a stored response (its whole context), newest first unless <c>order=asc</c>,
    /// <c>limit</c> (1–100, default 20) at a time, after the item <c>after</c>.</summary>
    public async Task<IResult> InputItemsAsync(HttpContext context, string responseId)
    {
        var (caller, error) = await authenticator.AuthenticateAsync(context, CallerPurpose.Proxy);
        if (caller is null)
        {
            return error!;
        }
        var query = context.Request.Query;
        var limit = 20;
        if (query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            return ApiError.InvalidRequest("'limit' must be a whole number from 1 to 100.", "limit");
        }
        var order = query["order"].ToString();
        if (order is not ("" or "asc" or "desc"))
        {
            return ApiError.InvalidRequest("'order' must be 'asc' or 'desc'.", "order");
        }
        var (stored, readError) = await StoredResponse.ReadAsync(payloads, caller.Account, responseId, "response_id", context.RequestAborted);
        if (stored is null)
        {
            return readError!;
        }
        using (stored)
        {
            var items = stored.InputItems.Select((item, index) => (Item: item, Id: ItemId(item, responseId, index))).ToList();
            if (order != "asc")
            {
                items.Reverse();
            }
            var after = query["after"].ToString();
            var start = after.Length == 0 ? 0 : items.FindIndex(i => i.Id == after) + 1;
            var page = items.Skip(start).Take(limit).ToList();
            using var buffer = new PooledBufferWriter(4096);
            using (var w = new Utf8JsonWriter(buffer, ResponseObject.WriterOptions))
            {
                w.WriteStartObject();
                w.WriteString("object"u8, "list"u8);
                w.WriteStartArray("data"u8);
                foreach (var (item, itemId) in page)
                {
                    WriteItem(w, item, itemId);
                }
                w.WriteEndArray();
                WriteNullable(w, "first_id"u8, page.Count > 0 ? page[0].Id : null);
                WriteNullable(w, "last_id"u8, page.Count > 0 ? page[^1].Id : null);
                w.WriteBoolean("has_more"u8, start + page.Count < items.Count);
                w.WriteEndObject();
            }
            return Results.Bytes(buffer.WrittenMemory.ToArray(), "application/json");
        }
    }

    /// <summary><c>POST /v1/responses/input_tokens</c>: the input a create request with this body would send, counted
    /// with the gateway's tokenizer (o200k_base) the way chat input is counted; not sent to any provider.</summary>
    public async Task<IResult> InputTokensAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAsync(context, CallerPurpose.Proxy);
        if (caller is null)
        {
            return error!;
        }
        var (body, bodyError) = await RequestBody.ReadAsync(context.Request, options.Value.MaxRequestBodyBytes, bodyBudget, context.RequestAborted);
        if (bodyError is not null)
        {
            return bodyError;
        }
        if (!ResponsesRequest.TryParse(body!, out var parsed, out var invalid))
        {
            return invalid!;
        }
        using var request = parsed!;
        // Counted for a model the caller may use, as a create would be: a Restricted key's list and the data policy
        // apply (the same 403/404 as the create), though nothing is sent upstream.
        var (policy, policyError) = routes.EffectivePolicy(caller.Account, context.Request.Headers);
        if (policyError is not null)
        {
            return policyError;
        }
        if (routes.Select(request.Model, caller.Key, policy!).Error is { } routeError)
        {
            return routeError;
        }
        StoredResponse? previous = null;
        if (request.PreviousResponseId is { } previousId)
        {
            (previous, var previousError) = await StoredResponse.ReadAsync(payloads, caller.Account, previousId, "previous_response_id", context.RequestAborted);
            if (previousError is not null)
            {
                return previousError;
            }
        }
        using (previous)
        {
            var (chat, refused) = ResponsesChat.Translate(request, previous?.Conversation() ?? []);
            if (refused is not null)
            {
                return refused;
            }
            using (chat)
            {
                var tokens = estimator.CountPrompt(chat!);
                return Results.Text(string.Create(CultureInfo.InvariantCulture, $$"""{"object":"response.input_tokens","input_tokens":{{tokens}}}"""), "application/json");
            }
        }
    }

    private static IResult Json(HttpContext context, JsonElement value)
    {
        using var buffer = new PooledBufferWriter(4096);
        using (var w = new Utf8JsonWriter(buffer, ResponseObject.WriterOptions))
        {
            value.WriteTo(w);
        }
        return Results.Bytes(buffer.WrittenMemory.ToArray(), "application/json");
    }

    /// <summary>An item's own id, or one made from the response's and the item's position (easy input messages have none).</summary>
    private static string ItemId(JsonElement item, string responseId, int index) =>
        item.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()!
            : string.Create(CultureInfo.InvariantCulture, $"msg_{responseId.AsSpan(ResponseIdentity.Prefix.Length)}in{index:x2}");

    /// <summary>An input item as the API lists it: with its type and id, a message's string content as an input_text part.</summary>
    private static void WriteItem(Utf8JsonWriter w, JsonElement item, string id)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, id);
        if (!item.TryGetProperty("type"u8, out _))
        {
            w.WriteString("type"u8, "message"u8);
        }
        foreach (var property in item.EnumerateObject())
        {
            if (property.NameEquals("id"u8))
            {
                continue;
            }
            if (property.NameEquals("content"u8) && property.Value.ValueKind == JsonValueKind.String)
            {
                w.WriteStartArray("content"u8);
                w.WriteStartObject();
                var role = item.TryGetProperty("role"u8, out var r) && r.ValueEquals("assistant"u8);
                w.WriteString("type"u8, role ? "output_text"u8 : "input_text"u8);
                w.WritePropertyName("text"u8);
                property.Value.WriteTo(w);
                w.WriteEndObject();
                w.WriteEndArray();
                continue;
            }
            property.WriteTo(w);
        }
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
