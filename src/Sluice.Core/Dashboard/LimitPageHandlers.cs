using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Dashboard.Pages;
using Sluice.FairUse;
using Sluice.Wire;

namespace Sluice.Dashboard;

/// <summary>
/// The Limits page: the account's, each key's and each member's budgets and rate limits, read and replaced as the
/// signed-in member through <see cref="LimitHandlers"/> (the limits API's role, validation, store and audit), with
/// the anti-forgery check of every dashboard form.
/// </summary>
public sealed class LimitPageHandlers(MemberRequests requests, LimitHandlers limits, KeyStore keys, MemberStore members, IOptions<FairUseOptions> options)
{
    public static string LimitsPath(string accountId) => DashboardPages.AccountPath(accountId) + "/limits";

    /// <summary><c>GET /dashboard/accounts/{accountId}/limits</c>.</summary>
    public Task<IResult> PageAsync(HttpContext context, string accountId) =>
        PageAsync(context, accountId, context.Request.Query.ContainsKey("saved") ? "Saved." : null, error: null);

    /// <summary><c>POST /dashboard/accounts/{accountId}/limits/{subjectId}</c> (<c>account</c>, a key id or a member id)
    /// with the four limits; an empty field is the deployment's default.</summary>
    public async Task<IResult> SetAsync(HttpContext context, string accountId, string subjectId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.SetLimits)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var ct = context.RequestAborted;
        if (!(await limits.FindAsync(caller, LimitHandlers.KindOf(subjectId), subjectId, ct)).TryGet(out var subject, out var notFound))
        {
            return DashboardPages.Refused(context, notFound);
        }
        var saved = LimitForm.Read(await context.Request.ReadFormAsync(ct)).TryGet(out var body, out var error)
            && (await limits.SetAsync(caller, subject, body, ct)).TryGet(out _, out error);
        return saved
            ? Results.Redirect(LimitsPath(accountId) + "?saved")
            : await PageAsync(context, accountId, notice: null, error);
    }

    private async Task<IResult> PageAsync(HttpContext context, string accountId, string? notice, ApiError? error)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.Limits)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var ct = context.RequestAborted;
        var view = await limits.ReadAsync(caller, ct);
        var keyList = new List<ApiKey>();
        await foreach (var k in keys.ListAsync(accountId, ct))
        {
            if (k.RevokedAt is null)
            {
                keyList.Add(k);
            }
        }
        var memberList = new List<Member>();
        await foreach (var m in members.ListAsync(accountId, ct))
        {
            memberList.Add(m);
        }
        return DashboardPages.Render<LimitsPage>(context, error?.Status ?? StatusCodes.Status200OK, new()
        {
            [nameof(LimitsPage.Caller)] = caller,
            [nameof(LimitsPage.View)] = view,
            [nameof(LimitsPage.Keys)] = keyList.OrderBy(k => k.CreatedAt).ToList(),
            [nameof(LimitsPage.Members)] = memberList.OrderBy(m => m.JoinedAt).ToList(),
            [nameof(LimitsPage.Options)] = options.Value,
            [nameof(LimitsPage.Token)] = requests.Token(context),
            [nameof(LimitsPage.Error)] = error?.Message,
            [nameof(LimitsPage.Notice)] = notice,
        });
    }
}

/// <summary>The Limits page's form fields, named as the API's JSON fields, read into the API's body.</summary>
internal static class LimitForm
{
    public const string DailyBudget = "daily_budget_usd";
    public const string MonthlyBudget = "monthly_budget_usd";
    public const string RequestsPerMinute = "requests_per_minute";
    public const string TokensPerMinute = "tokens_per_minute";

    /// <summary>The body, or a 400 naming the field that is not a number; the values themselves are checked by
    /// <see cref="LimitHandlers.SetAsync"/>, as for the API.</summary>
    public static Outcome<LimitsBody> Read(IFormCollection form)
    {
        var error = (ApiError?)null;
        T? Field<T>(string field, string shape) where T : struct, IParsable<T>
        {
            var text = form[field].ToString().Trim();
            if (text.Length == 0 || error is not null)
            {
                return null;
            }
            if (T.TryParse(text, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
            error = ApiError.InvalidRequest($"'{field}' must be {shape}, or empty for the deployment's default.", field);
            return null;
        }
        var body = new LimitsBody(Field<decimal>(DailyBudget, "an amount in US dollars, like 12.50"), Field<decimal>(MonthlyBudget, "an amount in US dollars, like 12.50"),
            Field<int>(RequestsPerMinute, "a whole number"), Field<int>(TokensPerMinute, "a whole number"));
        return error is null ? body : error;
    }
}
