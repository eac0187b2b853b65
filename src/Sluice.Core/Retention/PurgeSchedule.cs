using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using NCrontab;

namespace Sluice.Retention;

/// <summary>
/// When the purge runs: the <see cref="PurgeEngine.ScheduleSetting"/> app setting, six-field NCRONTAB
/// (<c>{second} {minute} {hour} {day} {month} {day-of-week}</c>), always UTC. Parsed by NCrontab.Signed with seconds,
/// the parser the Functions timer trigger itself uses, so the local host's scheduler and the timer in Azure agree on
/// every expression: one either host would refuse (<c>L</c>, <c>W</c>, <c>#</c>, <c>@daily</c>, five fields) stops the
/// app at start instead of leaving a stamp that never purges.
/// </summary>
public sealed class PurgeSchedule
{
    private static readonly CrontabSchedule.ParseOptions s_withSeconds = new() { IncludingSeconds = true };

    private readonly CrontabSchedule _schedule;

    private PurgeSchedule(string expression, CrontabSchedule schedule)
    {
        Expression = expression;
        _schedule = schedule;
    }

    public string Expression { get; }

    /// <summary>The configured schedule, or <see cref="PurgeEngine.DefaultSchedule"/> when the setting is absent.</summary>
    public static string ExpressionFrom(IConfiguration configuration) =>
        configuration[PurgeEngine.ScheduleSetting] is { Length: > 0 } expression ? expression : PurgeEngine.DefaultSchedule;

    public static bool TryParse(string expression, [NotNullWhen(true)] out PurgeSchedule? schedule, [NotNullWhen(false)] out string? error)
    {
        (schedule, error) = CrontabSchedule.TryParse(expression, s_withSeconds,
            parsed => (new PurgeSchedule(expression, parsed), (string?)null),
            exception => ((PurgeSchedule?)null, exception().Message));
        if (schedule is not null && schedule.NextAfter(DateTimeOffset.UnixEpoch) is null)
        {
            (schedule, error) = (null, "It never occurs.");
        }
        return schedule is not null;
    }

    /// <summary>The first occurrence strictly after <paramref name="instant"/>, in UTC; null if there is none.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset instant)
    {
        var from = instant.UtcDateTime;
        var next = _schedule.GetNextOccurrence(from, DateTime.MaxValue);
        return next == DateTime.MaxValue ? null : new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc));
    }

    /// <summary>Checked with the purge options at start-up (validated on start, before any hosted service).</summary>
    internal sealed class Validator(IConfiguration configuration) : IValidateOptions<PurgeOptions>
    {
        public ValidateOptionsResult Validate(string? name, PurgeOptions options)
        {
            var expression = ExpressionFrom(configuration);
            return TryParse(expression, out _, out var error)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"{PurgeEngine.ScheduleSetting} '{expression}' is not a schedule the Functions timer accepts: six-field NCRONTAB " +
                    $"{{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}, UTC, e.g. '{PurgeEngine.DefaultSchedule}' (no L, W, # or @ macros). {error}");
        }
    }
}
