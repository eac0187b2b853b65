using System.Globalization;
using Sluice.Usage;

namespace Sluice.Dashboard;

/// <summary>
/// A column chart of one figure per day, drawn as inline SVG on the server (no script, no library): coordinates are
/// computed here and formatted invariantly, so the page renders the same bytes in every culture. The chart is an
/// image with a title and a description; the page's table holds every figure it draws.
/// </summary>
public sealed record UsageChart(string Id, string Title, string Description, IReadOnlyList<UsageChart.Column> Columns, string Range, string Highest)
{
    public const int Width = 600;
    public const int Height = 160;

    /// <summary>One day's column, and what a pointer over it tells.</summary>
    public sealed record Column(string X, string Y, string Width, string Height, string Label);

    public static UsageChart Build(string id, string title, UsageReport report, Func<UsageTotal, long> value, Func<long, string> format)
    {
        var days = report.ByDay;
        var max = days.Count == 0 ? 0 : days.Max(value);
        var slot = (double)Width / Math.Max(days.Count, 1);
        var gap = slot > 6 ? slot * 0.2 : 0;
        var columns = days.Select((day, i) =>
        {
            var height = max == 0 ? 0 : Height * (double)value(day) / max;
            return new Column(N(i * slot + gap / 2), N(Height - height), N(slot - gap), N(height), $"{day.Label}: {format(value(day))}");
        }).ToList();
        var busiest = days.Count == 0 || max == 0 ? null : days.First(d => value(d) == max);
        var total = days.Sum(value);
        var description = busiest is null
            ? $"{title} from {UsageReport.Format(report.First)} to {UsageReport.Format(report.Last)}: none."
            : $"{title} from {UsageReport.Format(report.First)} to {UsageReport.Format(report.Last)}, one column per day: {format(total)} in all, " +
              $"the most on {busiest.Label} ({format(max)}). The table “Usage by day” lists every figure.";
        return new UsageChart(id, title, description, columns, $"{UsageReport.Format(report.First)} to {UsageReport.Format(report.Last)}", format(max));
    }

    private static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
