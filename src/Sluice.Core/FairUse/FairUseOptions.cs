using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Sluice.FairUse;

/// <summary>
/// Spend budgets and rate limits (<c>Sluice__FairUse__*</c>): the deployment's defaults, which apply to every key and
/// account that has not set its own, and its maximums, which no limit an Owner or Admin sets may exceed (and which
/// apply to keys and accounts that set nothing). Zero means "none". Budgets are in US dollars per UTC day or calendar
/// month; rates per UTC minute.
/// </summary>
public sealed class FairUseOptions
{
    public const string Section = "Sluice:FairUse";

    /// <summary>Off, every request is admitted and nothing is counted (the baseline of the admission benchmark).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Share of a budget at which one audit entry (<c>budget.threshold_reached</c>) records the approach.</summary>
    [Range(1, 99)] public int SoftThresholdPercent { get; set; } = 80;

    /// <summary>How often each instance writes its own spend and reads everyone's (and re-reads limits): the bound on
    /// how stale a budget check and a limit changed on another instance can be (see docs/fair-use.md).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A rate limit is leased to instances in shares of limit / LeaseShares (at least 1): more shares mean
    /// fewer requests held back by another instance's unused share, and more storage round trips.</summary>
    [Range(1, 1000)] public int LeaseShares { get; set; } = 10;

    public decimal DefaultKeyDailyBudgetUsd { get; set; }
    public decimal DefaultKeyMonthlyBudgetUsd { get; set; }
    public decimal DefaultAccountDailyBudgetUsd { get; set; }
    public decimal DefaultAccountMonthlyBudgetUsd { get; set; }
    public decimal MaxDailyBudgetUsd { get; set; }
    public decimal MaxMonthlyBudgetUsd { get; set; }

    public int DefaultKeyRequestsPerMinute { get; set; }
    public int DefaultKeyTokensPerMinute { get; set; }
    public int DefaultAccountRequestsPerMinute { get; set; }
    public int DefaultAccountTokensPerMinute { get; set; }
    public int MaxRequestsPerMinute { get; set; }
    public int MaxTokensPerMinute { get; set; }

    /// <summary>What a subject that set nothing gets from the deployment. Members get nothing: their keys and their
    /// account already carry the deployment's defaults, and a member is limited only when an Owner or Admin says so.</summary>
    internal Limits DefaultFor(LimitSubjectKind kind) => kind switch
    {
        LimitSubjectKind.Account => new Limits(Usd(DefaultAccountDailyBudgetUsd), Usd(DefaultAccountMonthlyBudgetUsd), Rate(DefaultAccountRequestsPerMinute), Rate(DefaultAccountTokensPerMinute)),
        LimitSubjectKind.Key => new Limits(Usd(DefaultKeyDailyBudgetUsd), Usd(DefaultKeyMonthlyBudgetUsd), Rate(DefaultKeyRequestsPerMinute), Rate(DefaultKeyTokensPerMinute)),
        _ => Limits.None,
    };

    /// <summary>The maximum of only the limits <paramref name="set"/> sets.</summary>
    private Limits Ceilings(Limits set)
    {
        var max = Maximum;
        return new Limits(set.DailyBudgetUsd is null ? null : max.DailyBudgetUsd, set.MonthlyBudgetUsd is null ? null : max.MonthlyBudgetUsd,
            set.RequestsPerMinute is null ? null : max.RequestsPerMinute, set.TokensPerMinute is null ? null : max.TokensPerMinute);
    }

    /// <summary>The ceilings (null: none).</summary>
    internal Limits Maximum => new(Usd(MaxDailyBudgetUsd), Usd(MaxMonthlyBudgetUsd), Rate(MaxRequestsPerMinute), Rate(MaxTokensPerMinute));

    /// <summary>The limits in force for a subject: its own, else the default; never above the maximum (which a member's
    /// limit left unset does not take: the member's keys and account already do).</summary>
    internal Limits Effective(LimitSubjectKind kind, Limits? own)
    {
        var set = own ?? Limits.None;
        var fallback = DefaultFor(kind);
        var max = kind == LimitSubjectKind.Member ? Ceilings(set) : Maximum;
        return new Limits(
            Min(set.DailyBudgetUsd ?? fallback.DailyBudgetUsd, max.DailyBudgetUsd),
            Min(set.MonthlyBudgetUsd ?? fallback.MonthlyBudgetUsd, max.MonthlyBudgetUsd),
            Min(set.RequestsPerMinute ?? fallback.RequestsPerMinute, max.RequestsPerMinute),
            Min(set.TokensPerMinute ?? fallback.TokensPerMinute, max.TokensPerMinute));
    }

    private static decimal? Usd(decimal value) => value > 0 ? value : null;

    private static int? Rate(int value) => value > 0 ? value : null;

    private static decimal? Min(decimal? value, decimal? max) => value is null ? max : max is null ? value : Math.Min(value.Value, max.Value);

    private static int? Min(int? value, int? max) => value is null ? max : max is null ? value : Math.Min(value.Value, max.Value);
}

/// <summary>Start-up check: no negative limit, no default above its maximum, a refresh interval that keeps budgets
/// meaningful.</summary>
internal sealed class FairUseOptionsValidator : IValidateOptions<FairUseOptions>
{
    public ValidateOptionsResult Validate(string? name, FairUseOptions o)
    {
        var failures = new List<string>();
        foreach (var (setting, value) in new[]
        {
            (nameof(o.DefaultKeyDailyBudgetUsd), o.DefaultKeyDailyBudgetUsd), (nameof(o.DefaultKeyMonthlyBudgetUsd), o.DefaultKeyMonthlyBudgetUsd),
            (nameof(o.DefaultAccountDailyBudgetUsd), o.DefaultAccountDailyBudgetUsd), (nameof(o.DefaultAccountMonthlyBudgetUsd), o.DefaultAccountMonthlyBudgetUsd),
            (nameof(o.MaxDailyBudgetUsd), o.MaxDailyBudgetUsd), (nameof(o.MaxMonthlyBudgetUsd), o.MaxMonthlyBudgetUsd),
        })
        {
            if (value < 0 || value > Limits.MaxBudgetUsd)
            {
                failures.Add($"{FairUseOptions.Section}:{setting} must be from 0 (none) to {Limits.MaxBudgetUsd}.");
            }
        }
        foreach (var (setting, value) in new[]
        {
            (nameof(o.DefaultKeyRequestsPerMinute), o.DefaultKeyRequestsPerMinute), (nameof(o.DefaultKeyTokensPerMinute), o.DefaultKeyTokensPerMinute),
            (nameof(o.DefaultAccountRequestsPerMinute), o.DefaultAccountRequestsPerMinute), (nameof(o.DefaultAccountTokensPerMinute), o.DefaultAccountTokensPerMinute),
            (nameof(o.MaxRequestsPerMinute), o.MaxRequestsPerMinute), (nameof(o.MaxTokensPerMinute), o.MaxTokensPerMinute),
        })
        {
            if (value < 0)
            {
                failures.Add($"{FairUseOptions.Section}:{setting} must be 0 (none) or more.");
            }
        }
        foreach (var kind in new[] { LimitSubjectKind.Key, LimitSubjectKind.Account })
        {
            if (o.Maximum.Exceeded(o.DefaultFor(kind)) is { } field)
            {
                failures.Add($"{FairUseOptions.Section}: the default {kind.ToString().ToLowerInvariant()} {field} is above the deployment's maximum.");
            }
        }
        if (o.RefreshInterval < TimeSpan.FromSeconds(1) || o.RefreshInterval > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{FairUseOptions.Section}:RefreshInterval must be between 00:00:01 and 00:05:00.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
