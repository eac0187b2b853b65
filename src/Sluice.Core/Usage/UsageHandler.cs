using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Stamp;
using Sluice.Wire;

namespace Sluice.Usage;

/// <summary>
/// <c>GET /v1/usage?from=&amp;to=&amp;limit=</c> for Owner and Admin keys: the account's usage rows, newest first, and
/// its totals by day and model (from the daily rollups, so they stay available after the rows' own period). The
/// body is written as it is read, never held whole.
/// </summary>
/// <remarks><c>from</c> is inclusive, <c>to</c> exclusive; each is <c>yyyy-MM-dd</c> (UTC midnight) or an ISO 8601
/// instant. Default: the last 7 days. Totals cover whole UTC days. At most <see cref="MaxLimit"/> rows per call;
/// <c>has_more</c> with <c>next_to</c> continues.</remarks>
public sealed class UsageHandler(
    GatewayAuthenticator authenticator,
    UsageTable usage,
    RollupTable rollups,
    IOptions<StampOptions> stamp,
    TimeProvider time)
{
    public const int DefaultLimit = 1000;
    public const int MaxLimit = 10_000;
    public const int MaxDays = UsageRange.MaxDays;

    public async Task<IResult> GetAsync(HttpContext context)
    {
        if (!(await authenticator.AuthenticateAdminAsync(context, CallerPurpose.ReadOwnData, "read usage")).TryGet(out var caller, out var error))
        {
            return error;
        }
        var query = context.Request.Query;
        var now = time.GetUtcNow();
        if (!QueryInstant.TryParse(query["to"], endOfDay: false, out var toBound) || !QueryInstant.TryParse(query["from"], endOfDay: false, out var fromBound))
        {
            return ApiError.InvalidRequest("'from' and 'to' must be dates (yyyy-MM-dd, UTC) or ISO 8601 instants.", "from");
        }
        var to = toBound ?? now;
        var from = fromBound ?? to.AddDays(-7);
        if (UsageRange.Check(from, to) is { } rangeError)
        {
            return rangeError;
        }
        var limit = DefaultLimit;
        if (query["limit"].ToString() is { Length: > 0 } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxLimit))
        {
            return ApiError.InvalidRequest($"'limit' must be from 1 to {MaxLimit}.", "limit");
        }

        var ct = context.RequestAborted;
        var accountId = caller.Account.Id;
        var totals = await rollups.TotalsAsync(accountId, DateOnly.FromDateTime(from.UtcDateTime),
            DateOnly.FromDateTime(to.AddTicks(-1).UtcDateTime), ct);

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { Encoder = UsageJson.Wire.Options.Encoder });
        json.WriteStartObject();
        json.WriteString("object", "usage");
        json.WriteString("account_id", accountId);
        json.WriteString("data_region", stamp.Value.DataRegion);
        json.WriteString("from", from);
        json.WriteString("to", to);
        json.WriteStartArray("totals");
        foreach (var rollup in totals)
        {
            JsonSerializer.Serialize(json, RollupView.From(rollup), UsageJson.Wire.RollupView);
        }
        json.WriteEndArray();
        json.WriteStartArray("data");
        var count = 0;
        DateTimeOffset? last = null;
        var more = false;
        await foreach (var row in usage.QueryAsync(accountId, from, to.AddMilliseconds(-1), ct))
        {
            if (count == limit)
            {
                more = true;
                break;
            }
            JsonSerializer.Serialize(json, UsageRowView.From(row), UsageJson.Wire.UsageRowView);
            last = row.RequestId.CreatedAt;
            if (++count % 200 == 0)
            {
                await json.FlushAsync(ct);
            }
        }
        json.WriteEndArray();
        json.WriteBoolean("has_more", more);
        if (more && last is { } next)
        {
            // One millisecond past the last row: a row sharing its instant is repeated rather than skipped (dedupe by id).
            json.WriteString("next_to", next.AddMilliseconds(1));
        }
        json.WriteEndObject();
        await json.FlushAsync(ct);
        return Results.Empty;
    }
}
