using System.Globalization;
using Microsoft.AspNetCore.Http;
using Sluice.Accounts;
using Sluice.Dashboard.Pages;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Dashboard;

/// <summary>
/// The Usage page and its CSV: requests, tokens and cost per day and per model for a range of whole UTC days, from
/// <see cref="RollupTable.TotalsAsync"/> (what <c>GET /v1/usage</c> returns as totals), bounded by
/// <see cref="UsageRange"/> (its rule), for the role <c>GET /v1/usage</c> needs.
/// </summary>
public sealed class UsagePageHandlers(MemberRequests requests, RollupTable rollups, TimeProvider time)
{
    /// <summary>The role <c>GET /v1/usage</c> needs (Owner and Admin keys).</summary>
    public const KeyRole MinimumRole = KeyRole.Admin;

    /// <summary>Days shown when the form names none: the last week, today included (the API's default of 7 days).</summary>
    public const int DefaultDays = 7;

    public static string Path(string accountId) => DashboardPages.AccountPath(accountId) + "/usage";

    public static string CsvPath(string accountId, DateOnly first, DateOnly last) =>
        $"{Path(accountId)}/csv?from={UsageReport.Format(first)}&to={UsageReport.Format(last)}";

    /// <summary><c>GET /dashboard/accounts/{accountId}/usage?from=&amp;to=</c>.</summary>
    public async Task<IResult> UsageAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.Usage)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var query = context.Request.Query;
        var ok = ReadRange(query).TryGet(out var range, out var error);
        var report = ok
            ? await UsageReport.ReadAsync(rollups, accountId, range.First, range.Last, context.RequestAborted)
            : null;
        return DashboardPages.Render<UsagePage>(context, error?.Status ?? StatusCodes.Status200OK, new()
        {
            [nameof(UsagePage.Caller)] = caller,
            [nameof(UsagePage.Token)] = requests.Token(context),
            [nameof(UsagePage.From)] = ok ? UsageReport.Format(range.First) : query["from"].ToString(),
            [nameof(UsagePage.To)] = ok ? UsageReport.Format(range.Last) : query["to"].ToString(),
            [nameof(UsagePage.Report)] = report,
            [nameof(UsagePage.Error)] = error,
        });
    }

    /// <summary><c>GET /dashboard/accounts/{accountId}/usage/csv?from=&amp;to=</c>: the page's figures as a download.</summary>
    public async Task<IResult> CsvAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.Usage)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        if (!ReadRange(context.Request.Query).TryGet(out var range, out var error))
        {
            return DashboardPages.Refused(context, error);
        }
        var report = await UsageReport.ReadAsync(rollups, accountId, range.First, range.Last, context.RequestAborted);
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.File(UsageCsv.Write(report), UsageCsv.ContentType, UsageCsv.FileName(accountId, report));
    }

    /// <summary>The days of <c>?from=&amp;to=</c> (both included; the last week when both are absent), checked by
    /// <see cref="UsageRange.Check"/> as the API checks its range.</summary>
    private Outcome<(DateOnly First, DateOnly Last)> ReadRange(IQueryCollection query)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (!TryDay(query["to"], today, out var last))
        {
            return InvalidDay("to");
        }
        if (!TryDay(query["from"], last.AddDays(1 - DefaultDays), out var first))
        {
            return InvalidDay("from");
        }
        return UsageRange.Check(Midnight(first), Midnight(last.AddDays(1))) is { } error ? error : (first, last);
    }

    private static bool TryDay(string? text, DateOnly fallback, out DateOnly day)
    {
        if (string.IsNullOrEmpty(text))
        {
            day = fallback;
            return true;
        }
        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
    }

    private static DateTimeOffset Midnight(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static ApiError InvalidDay(string param) => ApiError.InvalidRequest($"'{param}' must be a date (yyyy-MM-dd, UTC).", param);
}
