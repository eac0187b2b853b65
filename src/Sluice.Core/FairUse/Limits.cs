namespace Sluice.FairUse;

/// <summary>One subject's limits; null means none of that kind (or, for a subject's own setting, "the deployment's").</summary>
public sealed record Limits(decimal? DailyBudgetUsd, decimal? MonthlyBudgetUsd, int? RequestsPerMinute, int? TokensPerMinute)
{
    /// <summary>Highest budget accepted: a sanity bound that keeps nano-dollar arithmetic far from overflow.</summary>
    public const decimal MaxBudgetUsd = 1_000_000_000m;

    public static Limits None { get; } = new(null, null, null, null);

    public bool IsNone => this == None;

    public bool HasBudget => DailyBudgetUsd is not null || MonthlyBudgetUsd is not null;

    public bool HasRate => RequestsPerMinute is not null || TokensPerMinute is not null;

    /// <summary>The first field of <paramref name="limits"/> above these ceilings, by its wire name; null when none is.</summary>
    public string? Exceeded(Limits limits) =>
        DailyBudgetUsd is { } d && limits.DailyBudgetUsd > d ? "daily_budget_usd"
        : MonthlyBudgetUsd is { } m && limits.MonthlyBudgetUsd > m ? "monthly_budget_usd"
        : RequestsPerMinute is { } r && limits.RequestsPerMinute > r ? "requests_per_minute"
        : TokensPerMinute is { } t && limits.TokensPerMinute > t ? "tokens_per_minute"
        : null;

    /// <summary>For the audit log: settings only.</summary>
    public override string ToString() => IsNone ? "none" : string.Join(',',
        new[]
        {
            DailyBudgetUsd is { } d ? $"daily_budget_usd={d.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : null,
            MonthlyBudgetUsd is { } m ? $"monthly_budget_usd={m.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : null,
            RequestsPerMinute is { } r ? $"requests_per_minute={r}" : null,
            TokensPerMinute is { } t ? $"tokens_per_minute={t}" : null,
        }.Where(s => s is not null));

    internal static long ToNanoUsd(decimal usd) => (long)decimal.Round(usd * 1_000_000_000m);
}
