using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Wire;

namespace Sluice.FairUse;

/// <summary>
/// <c>GET/PUT /v1/account/limits</c> and <c>GET/PUT /v1/keys/{keyId}/limits</c>: budgets and rate limits, read and set
/// by the account's Owner or an Admin (other roles get 403). A PUT replaces the subject's own limits (a field left out
/// or null falls back to the deployment's default); a limit above the deployment's maximum is a 400. Every change is
/// audited as <c>limits.changed</c> with the old and new settings, takes effect on this instance at once and on the
/// others within <see cref="FairUseOptions.RefreshInterval"/>.
/// </summary>
public sealed class LimitHandlers(
    GatewayAuthenticator authenticator,
    KeyStore keys,
    LimitStore store,
    FairUseGate gate,
    AuditLog audit,
    IOptions<FairUseOptions> options)
{
    public const string AuditAction = "limits.changed";

    public async Task<IResult> GetAccountAsync(HttpContext context)
    {
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.ReadOwnData, KeyRole.Admin)).TryGet(out var caller, out var error))
        {
            return error;
        }
        var all = await store.ReadAsync(caller.Account.Id, context.RequestAborted);
        return TypedResults.Json(View(caller.Account.Id, all, options.Value), FairUseJson.Wire.AccountLimitsView);
    }

    public Task<IResult> PutAccountAsync(HttpContext context) => PutAsync(context, keyId: null);

    public async Task<IResult> GetKeyAsync(HttpContext context, string keyId)
    {
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.ReadOwnData, KeyRole.Admin)).TryGet(out var caller, out var error))
        {
            return error;
        }
        if (await keys.GetAsync(caller.Account.Id, keyId, context.RequestAborted) is null)
        {
            return ApiError.NotFound("The key");
        }
        var subject = LimitSubject.Key(keyId);
        var all = await store.ReadAsync(caller.Account.Id, context.RequestAborted);
        return TypedResults.Json(LimitsView.From(subject, all.GetValueOrDefault(subject), options.Value), FairUseJson.Wire.LimitsView);
    }

    public Task<IResult> PutKeyAsync(HttpContext context, string keyId) => PutAsync(context, keyId);

    private async Task<IResult> PutAsync(HttpContext context, string? keyId)
    {
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.Manage, KeyRole.Admin)).TryGet(out var caller, out var error))
        {
            return error;
        }
        if (!(await JsonBody.ReadAsync(context, FairUseJson.Wire.LimitsBody)).TryGet(out var body, out var bodyError))
        {
            return bodyError;
        }
        if (Invalid(body, options.Value) is { } invalid)
        {
            return invalid;
        }
        var ct = context.RequestAborted;
        var subject = LimitSubject.Account(caller.Account.Id);
        if (keyId is not null)
        {
            if (await keys.GetAsync(caller.Account.Id, keyId, ct) is null)
            {
                return ApiError.NotFound("The key");
            }
            subject = LimitSubject.Key(keyId);
        }
        var limits = body.ToLimits();
        var old = await store.SetAsync(caller.Account.Id, subject, limits, ct);
        gate.Changed(caller.Account.Id, subject, limits);
        if (old != limits)
        {
            // The change is made: record it even if the caller has gone away meanwhile.
            await audit.WriteAsync(caller.Account.Id, caller.Actor, AuditAction, subject.Id, caller.ClientIp,
                $"{subject.KindName}: {old} -> {limits}", CancellationToken.None);
        }
        return TypedResults.Json(LimitsView.From(subject, limits, options.Value), FairUseJson.Wire.LimitsView);
    }

    internal static AccountLimitsView View(string accountId, Dictionary<LimitSubject, Limits> all, FairUseOptions o)
    {
        var account = LimitSubject.Account(accountId);
        return new AccountLimitsView("account_limits", LimitsView.From(account, all.GetValueOrDefault(account), o),
            [.. all.Where(l => l.Key.Kind == LimitSubjectKind.Key).OrderBy(l => l.Key.Id, StringComparer.Ordinal).Select(l => LimitsView.From(l.Key, l.Value, o))],
            new DeploymentLimits(LimitsBody.From(o.DefaultFor(LimitSubjectKind.Key)), LimitsBody.From(o.DefaultFor(LimitSubjectKind.Account)),
                LimitsBody.From(o.Maximum)));
    }

    private static ApiError? Invalid(LimitsBody body, FairUseOptions o)
    {
        foreach (var (field, value) in new[] { ("daily_budget_usd", body.DailyBudgetUsd), ("monthly_budget_usd", body.MonthlyBudgetUsd) })
        {
            if (value is { } usd && (usd <= 0 || usd > Limits.MaxBudgetUsd || decimal.Round(usd, 9) != usd))
            {
                return ApiError.InvalidRequest($"'{field}' must be a positive amount in US dollars up to {Limits.MaxBudgetUsd} (at most 9 decimals), or null for the deployment's default.", field);
            }
        }
        foreach (var (field, value) in new[] { ("requests_per_minute", body.RequestsPerMinute), ("tokens_per_minute", body.TokensPerMinute) })
        {
            if (value is < 1)
            {
                return ApiError.InvalidRequest($"'{field}' must be a whole number of at least 1, or null for the deployment's default.", field);
            }
        }
        if (o.Maximum.Exceeded(body.ToLimits()) is not { } above)
        {
            return null;
        }
        var max = o.Maximum;
        var ceiling = above switch
        {
            "daily_budget_usd" => $"${max.DailyBudgetUsd}",
            "monthly_budget_usd" => $"${max.MonthlyBudgetUsd}",
            "requests_per_minute" => $"{max.RequestsPerMinute}",
            _ => $"{max.TokensPerMinute}",
        };
        return new ApiError(400, "invalid_request_error", "limit_above_maximum", $"'{above}' is above this deployment's maximum of {ceiling}.", above);
    }
}
