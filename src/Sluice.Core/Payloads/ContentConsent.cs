using System.Globalization;
using Microsoft.AspNetCore.Http;
using Sluice.Accounts;
using Sluice.Wire;

namespace Sluice.Payloads;

/// <summary>
/// Whether one request's content is stored, and for how many days. Only the account opts in (<c>retain_all</c>);
/// a request can only tighten: OpenAI's <c>store: false</c>, <c>x-sluice-store: none</c>, or
/// <c>x-sluice-content-retention-days</c> below the account's period. Nothing a request sends can store content
/// for a <c>metadata_only</c> account or keep it longer than the account's period.
/// </summary>
internal static class ContentConsent
{
    /// <summary><c>none</c>: store no content for this request.</summary>
    public const string StoreHeader = "x-sluice-store";

    /// <summary>Whole days (0–365) to keep this request's content, if fewer than the account's period.</summary>
    public const string DaysHeader = "x-sluice-content-retention-days";

    /// <summary>Days to keep this request's content; 0 means store none.</summary>
    public static Outcome<int> Decide(RetentionPolicy policy, bool? store, IHeaderDictionary headers)
    {
        int? requested = store == false ? 0 : null;

        var storeHeader = headers[StoreHeader].ToString();
        if (storeHeader.Length > 0)
        {
            if (!string.Equals(storeHeader.Trim(), "none", StringComparison.OrdinalIgnoreCase))
            {
                return ApiError.InvalidRequest(
                    $"'{StoreHeader}' accepts only 'none' (store no content for this request); a request can only tighten the account's retention.",
                    StoreHeader);
            }
            requested = 0;
        }

        var daysHeader = headers[DaysHeader].ToString();
        if (daysHeader.Length > 0)
        {
            if (!int.TryParse(daysHeader.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days > 365)
            {
                return ApiError.InvalidRequest(
                    $"'{DaysHeader}' must be a whole number of days from 0 to 365; it can only shorten the account's content retention.",
                    DaysHeader);
            }
            requested = Math.Min(requested ?? int.MaxValue, days);
        }

        return policy.EffectiveContentDays(requested);
    }
}
