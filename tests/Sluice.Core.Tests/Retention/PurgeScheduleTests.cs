using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Retention;

namespace Sluice.Core.Tests.Retention;

/// <summary>SLUICE_PURGE_SCHEDULE in the dialect the Functions timer trigger parses (NCrontab, six fields).</summary>
public sealed class PurgeScheduleTests
{
    [Theory]
    [InlineData("0 5 * * * *", "2026-03-01T10:07:00Z", "2026-03-01T11:05:00Z")]
    [InlineData("0 15 3 * * *", "2026-03-01T03:15:00Z", "2026-03-02T03:15:00Z")]
    [InlineData("*/30 * * * * *", "2026-03-01T10:07:10Z", "2026-03-01T10:07:30Z")]
    [InlineData("0 0 2 * * 1-5", "2026-03-06T02:00:00Z", "2026-03-09T02:00:00Z")]
    [InlineData("0 0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    public void SixFieldSchedules_RunAtTheirNextOccurrence_InUtc(string expression, string now, string next)
    {
        Assert.True(PurgeSchedule.TryParse(expression, out var schedule, out var error), error);

        Assert.Equal(DateTimeOffset.Parse(next, System.Globalization.CultureInfo.InvariantCulture),
            schedule.NextAfter(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Forms the local host's former parser (Cronos) accepted but the Functions timer refuses: a stamp with
    /// one of them would purge locally and never in Azure.</summary>
    [Theory]
    [InlineData("0 0 12 L * *")]
    [InlineData("0 0 12 15W * *")]
    [InlineData("0 0 12 * * 5#3")]
    [InlineData("0 0 12 * * 5L")]
    [InlineData("0 0 12 ? * *")]
    [InlineData("@daily")]
    [InlineData("@hourly")]
    [InlineData("5 * * * *")]
    [InlineData("0 5 * * * * 2026")]
    [InlineData("0 0 0 30 2 *")]
    [InlineData("00:05:00")]
    [InlineData("")]
    public void FormsTheFunctionsTimerRefuses_AreRefused(string expression)
    {
        Assert.False(PurgeSchedule.TryParse(expression, out var schedule, out var error));
        Assert.Null(schedule);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Theory]
    [InlineData("@daily")]
    [InlineData("0 0 12 L * *")]
    [InlineData("5 * * * *")]
    public void AnInvalidSchedule_StopsTheAppAtStart_WithTheSettingTheValueAndTheExpectedForm(string expression)
    {
        // (An AggregateException when another options type reads the retention options too.)
        var failure = Assert.ThrowsAny<Exception>(() => Validate(expression));

        var validation = Assert.IsType<OptionsValidationException>(failure is AggregateException all ? all.InnerExceptions[0] : failure);
        Assert.Contains($"SLUICE_PURGE_SCHEDULE '{expression}'", validation.Message, StringComparison.Ordinal);
        Assert.Contains("six-field NCRONTAB {second} {minute} {hour} {day} {month} {day-of-week}, UTC", validation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0 5 * * * *")]
    [InlineData("0 30 2 * * 0")]
    public void AValidOrAbsentSchedule_PassesStartUpValidation(string? expression) => Validate(expression);

    /// <summary>What Host.StartAsync runs before any hosted service, for the whole of AddSluice.</summary>
    private static void Validate(string? expression)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            [PurgeEngine.ScheduleSetting] = expression,
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddSluice();
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
    }
}
