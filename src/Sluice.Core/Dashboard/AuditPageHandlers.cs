using System.Globalization;
using Microsoft.AspNetCore.Http;
using Sluice.Accounts;
using Sluice.Dashboard.Pages;
using Sluice.Wire;

namespace Sluice.Dashboard;

/// <summary>
/// The Audit log page: the account's audit entries, newest first, <see cref="PageSize"/> a page, read with
/// <see cref="AuditPage.ReadAsync"/> as <c>GET /v1/audit</c> reads them, for the role that endpoint needs. It shows
/// who did what to which object and when; never details, addresses or content.
/// </summary>
/// <remarks>The first page fixes the range's end (<c>to</c>, now) and every further page keeps it, so the pages
/// stay one consistent list while new entries arrive. Paging reaches as deep as the API's largest
/// <c>limit</c>; older entries are a narrower <c>GET /v1/audit</c> (or the export) away.</remarks>
public sealed class AuditPageHandlers(MemberRequests requests, AuditLog audit, MemberStore members, KeyStore keys, TimeProvider time)
{
    /// <summary>The role <c>GET /v1/audit</c> needs (Owner and Admin keys).</summary>
    public const KeyRole MinimumRole = KeyRole.Admin;

    public const int PageSize = 50;

    public const int MaxPage = AccountHandlers.MaxAuditLimit / PageSize;

    public static string Path(string accountId) => DashboardPages.AccountPath(accountId) + "/audit";

    public static string PagePath(string accountId, DateTimeOffset to, int page) =>
        $"{Path(accountId)}?to={Uri.EscapeDataString(to.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture))}&page={page}";

    /// <summary><c>GET /dashboard/accounts/{accountId}/audit?to=&amp;page=</c>.</summary>
    public async Task<IResult> AuditAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.Audit)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var query = context.Request.Query;
        if (!QueryInstant.TryParse(query["to"], endOfDay: true, out var toBound))
        {
            return DashboardPages.Refused(context, ApiError.InvalidRequest("'to' must be an ISO 8601 date or instant.", "to"));
        }
        var page = 1;
        if (query["page"].ToString() is { Length: > 0 } pageText
            && (!int.TryParse(pageText, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page is < 1 or > MaxPage))
        {
            return DashboardPages.Refused(context, ApiError.InvalidRequest($"'page' must be a whole number from 1 to {MaxPage}.", "page"));
        }
        var ct = context.RequestAborted;
        var to = toBound ?? time.GetUtcNow();
        var entries = await AuditPage.ReadAsync(audit, accountId, DateTimeOffset.MinValue, to, (page - 1) * PageSize, PageSize, ct);
        return DashboardPages.Render<AuditLogPage>(context, StatusCodes.Status200OK, new()
        {
            [nameof(AuditLogPage.Caller)] = caller,
            [nameof(AuditLogPage.Token)] = requests.Token(context),
            [nameof(AuditLogPage.Entries)] = entries,
            [nameof(AuditLogPage.Actors)] = await ActorNamesAsync(accountId, ct),
            [nameof(AuditLogPage.To)] = to,
            [nameof(AuditLogPage.Page)] = page,
        });
    }

    /// <summary>The account's members and keys by the id the audit log records as actor, with a name a person reads.</summary>
    private async Task<IReadOnlyDictionary<string, string>> ActorNamesAsync(string accountId, CancellationToken cancellationToken)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var member in members.ListAsync(accountId, cancellationToken))
        {
            names[member.Id] = member.DisplayName;
        }
        await foreach (var key in keys.ListAsync(accountId, cancellationToken))
        {
            names[key.Id] = key.Name is { Length: > 0 } name ? $"key “{name}”" : "key";
        }
        return names;
    }
}
