using Sluice.Wire;

namespace Sluice.Usage;

/// <summary>
/// The one rule for a usage time range, whoever asks (<c>GET /v1/usage</c>, the dashboard's Usage page and its CSV):
/// <c>from</c> before <c>to</c> (exclusive), at most <see cref="MaxDays"/> days apart, so one request never reads
/// more than that many days of rollups and rows.
/// </summary>
public static class UsageRange
{
    public const int MaxDays = 400;

    /// <summary>Null when [<paramref name="from"/>, <paramref name="to"/>) is a range usage may be read for.</summary>
    public static ApiError? Check(DateTimeOffset from, DateTimeOffset to) =>
        from >= to || to - from > TimeSpan.FromDays(MaxDays)
            ? ApiError.InvalidRequest($"'from' must be before 'to', at most {MaxDays} days apart.", "from")
            : null;
}
