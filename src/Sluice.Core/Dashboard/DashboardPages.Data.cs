using Microsoft.AspNetCore.Http;
using Sluice.Accounts;
using Sluice.Dashboard.Pages;
using Sluice.Wire;

namespace Sluice.Dashboard;

/// <summary>The account-data pages: Settings → Policies, Requests and Data (see <see cref="AccountDataHandlers"/>).</summary>
internal static partial class DashboardPages
{
    public static string PoliciesPath(string accountId) => AccountPath(accountId) + "/settings/policies";
    public static string RequestsPath(string accountId) => AccountPath(accountId) + "/requests";
    public static string DataPath(string accountId) => AccountPath(accountId) + "/data";

    public static IResult Policies(HttpContext context, Caller caller, string? token, PolicySettings settings, bool saved, ApiError? error) =>
        Render<PoliciesPage>(context, error?.Status ?? StatusCodes.Status200OK, new()
        {
            [nameof(PoliciesPage.Caller)] = caller,
            [nameof(PoliciesPage.Token)] = token,
            [nameof(PoliciesPage.Settings)] = settings,
            [nameof(PoliciesPage.Saved)] = saved,
            [nameof(PoliciesPage.Error)] = error?.Message,
            [nameof(PoliciesPage.ErrorField)] = error?.Param,
        });

    public static IResult Requests(HttpContext context, Caller caller, string? token, bool storesContent, IReadOnlyList<StoredRequestEntry> entries,
        string? olderPage, bool erased) =>
        Render<RequestsPage>(context, StatusCodes.Status200OK, new()
        {
            [nameof(RequestsPage.Caller)] = caller,
            [nameof(RequestsPage.Token)] = token,
            [nameof(RequestsPage.StoresContent)] = storesContent,
            [nameof(RequestsPage.Entries)] = entries,
            [nameof(RequestsPage.OlderPage)] = olderPage,
            [nameof(RequestsPage.Erased)] = erased,
        });

    public static IResult Data(HttpContext context, Caller caller, string? token, AccountOptions options, string? notice, ApiError? error) =>
        Render<DataPage>(context, error?.Status ?? StatusCodes.Status200OK, new()
        {
            [nameof(DataPage.Caller)] = caller,
            [nameof(DataPage.Token)] = token,
            [nameof(DataPage.Options)] = options,
            [nameof(DataPage.Notice)] = notice,
            [nameof(DataPage.Error)] = error?.Message,
        });
}
