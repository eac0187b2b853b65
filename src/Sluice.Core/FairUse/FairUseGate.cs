using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.FairUse;

/// <summary>
/// Admission against spend budgets and rate limits, for every API surface: <see cref="AdmitAsync"/> once per request,
/// after authentication and route resolution and before anything goes upstream; <see cref="Settle"/> with the
/// request's usage row.
/// <para>
/// Budgets add no storage round trip to the request path: each account's limits and spend are loaded on its first
/// request on this instance, then refreshed in the background every <see cref="FairUseOptions.RefreshInterval"/>
/// (<see cref="RefreshAsync"/>); this instance's own spend counts at once. The account's spend is the rollups' (the
/// sum of its usage rows' cost); a key's is the sum of every instance's share in the <see cref="SpendLedger"/>.
/// Rate limits are leased in shares from a shared counter (<see cref="RateCounters"/>), so a request costs a round
/// trip only when this instance's share runs out. Bounds: docs/fair-use.md.
/// </para>
/// </summary>
public sealed partial class FairUseGate(
    LimitStore limitStore,
    SpendLedger ledger,
    RateCounters counters,
    RollupTable rollups,
    AuditLog audit,
    IOptions<FairUseOptions> options,
    TimeProvider time,
    ILogger<FairUseGate> logger)
{
    public const string ThresholdAction = "budget.threshold_reached";
    public const string SystemActor = "fair_use";
    private static readonly TimeSpan s_idle = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan s_pendingLifetime = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, AccountState> _accounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    /// <summary>This process, in the spend ledger.</summary>
    internal string Instance { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private FairUseOptions Options => options.Value;

    /// <summary>
    /// Admits or refuses a request of <paramref name="caller"/>: 403 <c>budget_exceeded</c> when a daily or monthly
    /// budget of the key or account is spent, 429 <c>rate_limit_exceeded</c> when a requests- or tokens-per-minute
    /// limit has nothing left this minute. <paramref name="estimateTokens"/> (the request's estimated input tokens) is
    /// only called when a tokens-per-minute limit applies.
    /// </summary>
    public async ValueTask<Admission> AdmitAsync(Caller caller, RequestId requestId, Func<long> estimateTokens, CancellationToken cancellationToken)
    {
        var o = Options;
        if (!o.Enabled)
        {
            return Admission.Unlimited;
        }
        AccountState state;
        try
        {
            state = await AccountAsync(caller.Account.Id, cancellationToken);
        }
        catch (Exception e) when (StorageFailure.Is(e, cancellationToken))
        {
            // Fail closed: this instance knows none of the account's limits yet, and one of them may be the budget an
            // Owner set to stop a runaway key. Once loaded, a failed refresh keeps the last limits in force instead.
            Log.LimitsUnknown(logger, caller.Account.Id, e.GetType().Name);
            return Admission.LimitsUnavailable;
        }
        var now = time.GetUtcNow();
        state.LastSeen = now;
        var subjects = LimitSubject.Of(caller);
        if (caller.Member is null && caller.Key.CreatedByMember is { } creator)
        {
            state.RememberCreator(caller.Key.Id, creator);
        }
        var limits = new Limits[subjects.Length];
        var anyRate = false;
        for (var i = 0; i < subjects.Length; i++)
        {
            limits[i] = o.Effective(subjects[i].Kind, state.OwnLimits(subjects[i]));
            if (limits[i].HasBudget && await BudgetRefusalAsync(state, subjects[i], limits[i], now, cancellationToken) is { } refused)
            {
                return new Admission(refused, []);
            }
            anyRate |= limits[i].HasRate;
        }
        if (!anyRate)
        {
            return Admission.Unlimited;
        }

        var window = now.ToUnixTimeSeconds() / 60;
        var reset = DateTimeOffset.FromUnixTimeSeconds((window + 1) * 60) - now;
        var estimatedTokens = limits.Any(l => l.TokensPerMinute is not null) ? Math.Max(0, estimateTokens()) : 0;
        var taken = new List<(RateBucket Bucket, long Cost)>(4);
        for (var i = 0; i < subjects.Length; i++)
        {
            foreach (var (resource, limit, cost) in new[]
            {
                (RateResource.Requests, limits[i].RequestsPerMinute, 1L),
                (RateResource.Tokens, limits[i].TokensPerMinute, estimatedTokens),
            })
            {
                if (limit is not { } max)
                {
                    continue;
                }
                var bucket = state.Bucket(subjects[i], resource);
                var chunk = Math.Max(1, (max + o.LeaseShares - 1) / o.LeaseShares);
                var took = await bucket.TakeAsync(cost, max, chunk, window, counters, cancellationToken);
                if (took != RateTake.Taken)
                {
                    foreach (var (t, c) in taken)
                    {
                        t.Refund(c, window);
                    }
                    if (took == RateTake.Unknown)
                    {
                        Log.RateCountUnknown(logger, caller.Account.Id);
                        return Admission.LimitsUnavailable;
                    }
                    var headers = RateHeaders(state, subjects, limits, window, reset, retry: true);
                    return new Admission(RateRefusal(subjects[i], resource, max, cost, reset), headers);
                }
                taken.Add((bucket, cost));
            }
        }
        var tokenBuckets = taken.Where(t => t.Bucket.Resource == RateResource.Tokens).Select(t => t.Bucket).ToArray();
        if (tokenBuckets.Length > 0)
        {
            _pending[requestId.Value] = new Pending(estimatedTokens, tokenBuckets, now);
        }
        return new Admission(null, RateHeaders(state, subjects, limits, window, reset, retry: false));
    }

    /// <summary>Counts a request's usage row: its cost against the budgets at once on this instance, and its real
    /// tokens in place of the estimate admitted. Rows of requests never admitted cost nothing and change nothing.</summary>
    public void Settle(UsageRecord row)
    {
        if (!Options.Enabled || !_accounts.TryGetValue(row.AccountId, out var state))
        {
            return;
        }
        var now = time.GetUtcNow();
        if (row.CostNanoUsd != 0)
        {
            state.AddSpend(LimitSubject.Key(row.KeyId), now, row.CostNanoUsd);
            if (state.CreatorOf(row.KeyId) is { } member)
            {
                state.AddSpend(LimitSubject.Member(member), now, row.CostNanoUsd);
            }
            state.AddSpend(LimitSubject.Account(row.AccountId), now, row.CostNanoUsd);
        }
        if (_pending.TryRemove(row.RequestId.Value, out var pending))
        {
            var delta = row.PromptTokens + row.CompletionTokens - pending.Estimate;
            var window = now.ToUnixTimeSeconds() / 60;
            foreach (var bucket in pending.Buckets)
            {
                bucket.Adjust(delta, window);
            }
        }
    }

    /// <summary>Takes effect on this instance at once after an Owner or Admin changed limits here.</summary>
    internal void Changed(string accountId, LimitSubject subject, Limits limits)
    {
        if (_accounts.TryGetValue(accountId, out var state))
        {
            state.SetOwnLimits(subject, limits);
        }
    }

    /// <summary>
    /// The background pass: writes this instance's spend, re-reads limits and everyone's spend for each account seen
    /// recently, and forgets accounts idle for ten minutes.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var (id, state) in _accounts)
        {
            try
            {
                await FlushAsync(state, cancellationToken);
                if (now - state.LastSeen > s_idle)
                {
                    _accounts.TryRemove(id, out _);
                    continue;
                }
                await LoadAsync(state, cancellationToken);
            }
            catch (Exception e) when (StorageFailure.Is(e, cancellationToken))
            {
                Log.RefreshFailed(logger, id, e.GetType().Name);
            }
        }
        foreach (var (id, pending) in _pending)
        {
            if (now - pending.Admitted > s_pendingLifetime)
            {
                _pending.TryRemove(id, out _);
            }
        }
    }

    private async ValueTask<AccountState> AccountAsync(string accountId, CancellationToken cancellationToken)
    {
        var state = _accounts.GetOrAdd(accountId, id => new AccountState(id));
        var loaded = state.Loaded;
        if (loaded is null)
        {
            lock (state)
            {
                state.Loaded ??= LoadAsync(state, CancellationToken.None);
                loaded = state.Loaded;
            }
        }
        if (!loaded.IsCompletedSuccessfully)
        {
            try
            {
                await loaded.WaitAsync(cancellationToken);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The first load failed: the next request tries again.
                lock (state)
                {
                    if (state.Loaded == loaded)
                    {
                        state.Loaded = null;
                    }
                }
                throw;
            }
        }
        return state;
    }

    /// <summary>Reads the account's limits and, where a budget applies, everyone's spend.</summary>
    private async Task LoadAsync(AccountState state, CancellationToken cancellationToken)
    {
        var own = await limitStore.ReadAsync(state.AccountId, cancellationToken);
        state.ReplaceOwnLimits(own);
        var o = Options;
        var now = time.GetUtcNow();
        if (o.Effective(LimitSubjectKind.Account, own.GetValueOrDefault(LimitSubject.Account(state.AccountId))).HasBudget)
        {
            var mine = state.OwnSpend(LimitSubject.Account(state.AccountId), now);
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            var totals = await rollups.TotalsAsync(state.AccountId, new DateOnly(today.Year, today.Month, 1), today, cancellationToken);
            var (day, month) = (totals.Where(t => t.Day == today).Sum(t => t.CostNanoUsd), totals.Sum(t => t.CostNanoUsd));
            // The rollups already hold this instance's committed rows: what the others spent is the rest.
            state.SetOthersSpend(LimitSubject.Account(state.AccountId),
                new SpendTotals(SpendTotals.DayKey(now), Math.Max(0, day - mine.DayNanoUsd), SpendTotals.MonthKey(now), Math.Max(0, month - mine.MonthNanoUsd)));
        }
        if (o.Effective(LimitSubjectKind.Key, null).HasBudget || own.Any(l => l.Key.Kind != LimitSubjectKind.Account && o.Effective(l.Key.Kind, l.Value).HasBudget))
        {
            state.ReplaceOthersSpend(await ledger.ReadOthersAsync(state.AccountId, Instance, now, cancellationToken));
        }
    }

    private async Task FlushAsync(AccountState state, CancellationToken cancellationToken)
    {
        foreach (var (subject, totals) in state.TakeDirtySpend())
        {
            try
            {
                await ledger.WriteAsync(state.AccountId, subject, Instance, totals, cancellationToken);
            }
            catch
            {
                state.MarkDirty(subject);
                throw;
            }
        }
    }

    private async ValueTask<FairUseRefusal?> BudgetRefusalAsync(AccountState state, LimitSubject subject, Limits limits, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var spend = state.Spend(subject, now);
        var today = now.UtcDateTime.Date;
        foreach (var (period, budget, spent, key, resets) in new[]
        {
            ("daily", limits.DailyBudgetUsd, spend.DayNanoUsd, spend.Day, new DateTimeOffset(today.AddDays(1), TimeSpan.Zero)),
            ("monthly", limits.MonthlyBudgetUsd, spend.MonthNanoUsd, spend.Month, new DateTimeOffset(today.AddDays(1 - today.Day).AddMonths(1), TimeSpan.Zero)),
        })
        {
            if (budget is not { } usd)
            {
                continue;
            }
            var cap = Limits.ToNanoUsd(usd);
            if (spent >= cap)
            {
                return new FairUseRefusal(403, "insufficient_quota", "budget_exceeded",
                    $"The {subject.KindName}'s {period} budget of ${Usd(cap)} is spent (${Usd(spent)} in {PeriodName(period, now)} UTC). " +
                    $"It resets at {resets.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}; an Owner or Admin can raise it.", null);
            }
            if (spent * 100 >= cap * Options.SoftThresholdPercent && state.ShouldNote(subject, period, key))
            {
                await NoteThresholdAsync(state, subject, period, key, usd, now, cancellationToken);
            }
        }
        return null;
    }

    /// <summary>One audit entry per subject, budget and period, across every instance.</summary>
    private async Task NoteThresholdAsync(AccountState state, LimitSubject subject, string period, string periodKey, decimal budget, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        try
        {
            if (await ledger.ClaimThresholdNoteAsync(state.AccountId, subject, period, periodKey, cancellationToken))
            {
                var details = $"{period}_budget_usd={budget.ToString(CultureInfo.InvariantCulture)},threshold={Options.SoftThresholdPercent}%,period={periodKey}";
                var unique = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{subject.RowKey}|{period}|{periodKey}"))[..8]);
                await audit.WriteOnceAsync(new AuditEntry(state.AccountId, now, SystemActor, ThresholdAction, subject.Id, null, details), now, "fu" + unique,
                    CancellationToken.None);
            }
        }
        catch (Exception e) when (StorageFailure.Is(e, CancellationToken.None))
        {
            // Not worth refusing a request over: the next request past the threshold tries again.
            state.Unnote(subject, period, periodKey);
            Log.ThresholdNoteFailed(logger, state.AccountId, e.GetType().Name);
        }
    }

    private static FairUseRefusal RateRefusal(LimitSubject subject, RateResource resource, long limit, long cost, TimeSpan reset)
    {
        var what = resource == RateResource.Requests ? "requests" : "tokens";
        var message = cost > limit
            ? $"This request's estimated {cost} input tokens exceed the {subject.KindName}'s limit of {limit} tokens per minute."
            : $"Rate limit reached: the {subject.KindName}'s limit of {limit} {what} per minute. Try again in {Admission.ResetText(reset)}.";
        return new FairUseRefusal(429, "rate_limit_exceeded", "rate_limit_exceeded", message, reset);
    }

    /// <summary>OpenAI's <c>x-ratelimit-*</c> headers for each resource limited, from the most constrained subject.</summary>
    private static List<KeyValuePair<string, string>> RateHeaders(AccountState state, LimitSubject[] subjects, Limits[] limits, long window, TimeSpan reset, bool retry)
    {
        var headers = new List<KeyValuePair<string, string>>(8);
        foreach (var resource in new[] { RateResource.Requests, RateResource.Tokens })
        {
            (long Limit, long Remaining)? tightest = null;
            for (var i = 0; i < subjects.Length; i++)
            {
                if ((resource == RateResource.Requests ? limits[i].RequestsPerMinute : limits[i].TokensPerMinute) is not { } limit)
                {
                    continue;
                }
                var remaining = state.Bucket(subjects[i], resource).Remaining(limit, window);
                if (tightest is null || remaining < tightest.Value.Remaining)
                {
                    tightest = (limit, remaining);
                }
            }
            if (tightest is { } t)
            {
                var suffix = resource == RateResource.Requests ? "requests" : "tokens";
                headers.Add(new("x-ratelimit-limit-" + suffix, t.Limit.ToString(CultureInfo.InvariantCulture)));
                headers.Add(new("x-ratelimit-remaining-" + suffix, t.Remaining.ToString(CultureInfo.InvariantCulture)));
                headers.Add(new("x-ratelimit-reset-" + suffix, Admission.ResetText(reset)));
            }
        }
        if (retry)
        {
            headers.Add(new("retry-after-ms", Math.Ceiling(reset.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
        }
        return headers;
    }

    private static string Usd(long nanoUsd) => (nanoUsd / 1_000_000_000m).ToString("0.00##", CultureInfo.InvariantCulture);

    private static string PeriodName(string period, DateTimeOffset now) =>
        now.UtcDateTime.ToString(period == "daily" ? "yyyy-MM-dd" : "yyyy-MM", CultureInfo.InvariantCulture);

    private sealed record Pending(long Estimate, RateBucket[] Buckets, DateTimeOffset Admitted);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Fair use: refreshing limits and spend of account {AccountId} failed ({Error}); the last values stay in force.")]
        public static partial void RefreshFailed(ILogger logger, string accountId, string error);

        [LoggerMessage(2, LogLevel.Warning, "Fair use: the budget threshold note of account {AccountId} could not be written ({Error}); retried on the next request.")]
        public static partial void ThresholdNoteFailed(ILogger logger, string accountId, string error);

        [LoggerMessage(3, LogLevel.Warning, "Fair use: the limits of account {AccountId} could not be loaded ({Error}); its requests on this instance are refused with 503 until they can.")]
        public static partial void LimitsUnknown(ILogger logger, string accountId, string error);

        [LoggerMessage(4, LogLevel.Warning, "Fair use: a rate counter of account {AccountId} cannot be reached and this instance has used its unleased share of the minute; refused with 503.")]
        public static partial void RateCountUnknown(ILogger logger, string accountId);
    }
}
