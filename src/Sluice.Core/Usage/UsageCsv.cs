using System.Globalization;
using System.Text;

namespace Sluice.Usage;

/// <summary>
/// A <see cref="UsageReport"/> as CSV (RFC 4180: comma-separated, CRLF, quoted where needed), one row per day and
/// model. A cell a spreadsheet would read as a formula (starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab
/// or a carriage return) gets a leading apostrophe: a model name is whatever a client sent, and must stay text.
/// </summary>
public static class UsageCsv
{
    public const string ContentType = "text/csv; charset=utf-8";

    public static readonly string[] Header =
        ["day", "model", "requests", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "errors"];

    public static byte[] Write(UsageReport report)
    {
        var csv = new StringBuilder();
        Line(csv, Header);
        foreach (var r in report.Rows)
        {
            Line(csv, [UsageReport.Format(r.Day), r.Model, Number(r.Requests), Number(r.PromptTokens), Number(r.CompletionTokens),
                Number(r.TotalTokens), UsageReport.Usd(r.CostNanoUsd), Number(r.Errors)]);
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    /// <summary>The file name of a report's download.</summary>
    public static string FileName(string accountId, UsageReport report) =>
        $"sluice-usage-{accountId}-{UsageReport.Format(report.First)}-to-{UsageReport.Format(report.Last)}.csv";

    /// <summary>One cell: neutralised if a spreadsheet would take it for a formula, then quoted if it holds a comma,
    /// quote or line break.</summary>
    public static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Line(StringBuilder csv, IEnumerable<string> cells)
    {
        csv.AppendJoin(',', cells.Select(Cell));
        csv.Append("\r\n");
    }
}
