using System.Globalization;

namespace Sluice.Wire;

/// <summary>A time bound in a query string (<c>?from=</c>, <c>?to=</c>): a UTC date <c>yyyy-MM-dd</c> or an ISO 8601
/// instant; an instant without an offset is UTC.</summary>
internal static class QueryInstant
{
    /// <summary>False when <paramref name="text"/> is neither; null when it is empty. A date is its midnight, or with
    /// <paramref name="endOfDay"/> the last tick of that day (a date as an inclusive upper bound).</summary>
    public static bool TryParse(string? text, bool endOfDay, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            value = endOfDay ? start.AddDays(1).AddTicks(-1) : start;
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            value = instant;
            return true;
        }
        return false;
    }
}
