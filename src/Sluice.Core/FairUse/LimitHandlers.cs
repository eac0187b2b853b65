using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Wire;

namespace Sluice.FairUse;

/// <summary>
/// <c>GET/PUT /v1/account/limits</c>, <c>/v1/keys/{keyId}/limits</c> and <c>/v1/members/{memberId}/limits</c>: budgets
/// and rate limits, read and set by the account's Owner or an Admin (<see cref="ManageRole"/>; other roles get 403). A
/// PUT replaces the subject's own limits (a field left out or null falls back to the deployment's default); a limit
/// above the deployment's maximum is a 400. Every change is audited as <c>limits.changed</c> with the old and new
/// settings, takes effect on this instance at once and on the others within <see cref="FairUseOptions.RefreshInterval"/>.
/// The dashboard's Limits page reads and sets through <see cref="ReadAsync"/>, <see cref="FindAsync"/> and
/// <see cref="SetAsync"/>, with the same role and the same rules.
/// </summary>
public sealed class LimitHandlers(
    GatewayAuthenticator authenticator,
    KeyStore keys,
    MemberStore members,
    LimitStore store,
    FairUseGate gate,
    AuditLog audit,
    IOptions<FairUseOptions> options)
{
    public const string AuditAction = "limits.changed";

    /// <summary>Reading or changing limits needs this role, whether a key or a signed-in member asks.</summary>
    public const KeyRole ManageRole = KeyRole.Admin;

    public Task<IResult> GetAccountAsync(HttpContext context) => GetAsync(context, LimitSubjectKind.Account, null);

    public Task<IResult> PutAccountAsync(HttpContext context) => PutAsync(context, LimitSubjectKind.Account, null);

    public Task<IResult> GetKeyAsync(HttpContext context, string keyId) => GetAsync(context, LimitSubjectKind.Key, keyId);

    public Task<IResult> PutKeyAsync(HttpContext context, string keyId) => PutAsync(context, LimitSubjectKind.Key, keyId);

    public Task<IResult> GetMemberAsync(HttpContext context, string memberId) => GetAsync(context, LimitSubjectKind.Member, memberId);

    public Task<IResult> PutMemberAsync(HttpContext context, string memberId) => PutAsync(context, LimitSubjectKind.Member, memberId);

    /// <summary>The account's limits, every key's and member's that set their own, and the deployment's.</summary>
    public async Task<AccountLimitsView> ReadAsync(Caller caller, CancellationToken cancellationToken) =>
        View(caller.Account.Id, await store.ReadAsync(caller.Account.Id, cancellationToken), options.Value);

    /// <summary>The kind of subject an id names, as the dashboard's forms send it: <c>account</c>, <c>key_…</c>, <c>mem_…</c>.</summary>
    public static LimitSubjectKind KindOf(string subjectId) =>
        subjectId == "account" ? LimitSubjectKind.Account
        : subjectId.StartsWith(MemberIds.Prefix, StringComparison.Ordinal) ? LimitSubjectKind.Member
        : LimitSubjectKind.Key;

    /// <summary>
    /// The subject of <paramref name="kind"/> that <paramref name="subjectId"/> names in the caller's account (the
    /// account needs no id); 404 when the account has no such key or member.
    /// </summary>
    public async Task<Outcome<LimitSubject>> FindAsync(Caller caller, LimitSubjectKind kind, string? subjectId,
        CancellationToken cancellationToken)
    {
        var accountId = caller.Account.Id;
        if (kind == LimitSubjectKind.Account)
        {
            return LimitSubject.Account(accountId);
        }
        if (subjectId is null)
        {
            return ApiError.NotFound(kind == LimitSubjectKind.Key ? "The key" : "The member");
        }
        if (kind == LimitSubjectKind.Member)
        {
            var personId = subjectId[MemberIds.Prefix.Length..];
            return PersonId.IsValid(personId) && await members.GetAsync(accountId, personId, cancellationToken) is not null
                ? LimitSubject.Member(subjectId)
                : ApiError.NotFound("The member");
        }
        return await keys.GetAsync(accountId, subjectId, cancellationToken) is not null
            ? LimitSubject.Key(subjectId)
            : ApiError.NotFound("The key");
    }

    /// <summary>Replaces a subject's own limits after the caller's role and the values are checked, and audits it.</summary>
    public async Task<Outcome<LimitsView>> SetAsync(Caller caller, LimitSubject subject, LimitsBody body, CancellationToken cancellationToken)
    {
        if (!caller.IsAtLeast(ManageRole))
        {
            return Insufficient(caller.Role);
        }
        if (Invalid(body, options.Value) is { } invalid)
        {
            return invalid;
        }
        var limits = body.ToLimits();
        var old = await store.SetAsync(caller.Account.Id, subject, limits, cancellationToken);
        gate.Changed(caller.Account.Id, subject, limits);
        if (old != limits)
        {
            // The change is made: record it even if the caller has gone away meanwhile.
            await audit.WriteAsync(caller.Account.Id, caller.Actor, AuditAction, subject.Id, caller.ClientIp,
                $"{subject.KindName}: {old} -> {limits}", CancellationToken.None);
        }
        return LimitsView.From(subject, limits, options.Value);
    }

    private async Task<IResult> GetAsync(HttpContext context, LimitSubjectKind kind, string? subjectId)
    {
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.ReadOwnData, ManageRole)).TryGet(out var caller, out var error))
        {
            return error;
        }
        if (kind == LimitSubjectKind.Account)
        {
            return TypedResults.Json(await ReadAsync(caller, context.RequestAborted), FairUseJson.Wire.AccountLimitsView);
        }
        if (!(await FindAsync(caller, kind, subjectId, context.RequestAborted)).TryGet(out var s, out var notFound))
        {
            return notFound;
        }
        var all = await store.ReadAsync(caller.Account.Id, context.RequestAborted);
        return TypedResults.Json(LimitsView.From(s, all.GetValueOrDefault(s), options.Value), FairUseJson.Wire.LimitsView);
    }

    private async Task<IResult> PutAsync(HttpContext context, LimitSubjectKind kind, string? subjectId)
    {
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.Manage, ManageRole)).TryGet(out var caller, out var error))
        {
            return error;
        }
        if (!(await JsonBody.ReadAsync(context, FairUseJson.Wire.LimitsBody)).TryGet(out var body, out var bodyError))
        {
            return bodyError;
        }
        // Values first, as before members: a malformed body is a 400 whatever it names.
        if (Invalid(body, options.Value) is { } invalid)
        {
            return invalid;
        }
        if (!(await FindAsync(caller, kind, subjectId, context.RequestAborted)).TryGet(out var s, out var notFound))
        {
            return notFound;
        }
        return (await SetAsync(caller, s, body, context.RequestAborted)).TryGet(out var view, out var setError)
            ? TypedResults.Json(view, FairUseJson.Wire.LimitsView)
            : setError;
    }

    internal static AccountLimitsView View(string accountId, Dictionary<LimitSubject, Limits> all, FairUseOptions o)
    {
        var account = LimitSubject.Account(accountId);
        IReadOnlyList<LimitsView> Of(LimitSubjectKind kind) =>
            [.. all.Where(l => l.Key.Kind == kind).OrderBy(l => l.Key.Id, StringComparer.Ordinal).Select(l => LimitsView.From(l.Key, l.Value, o))];
        return new AccountLimitsView("account_limits", LimitsView.From(account, all.GetValueOrDefault(account), o), Of(LimitSubjectKind.Key),
            Of(LimitSubjectKind.Member),
            new DeploymentLimits(LimitsBody.From(o.DefaultFor(LimitSubjectKind.Key)), LimitsBody.From(o.DefaultFor(LimitSubjectKind.Account)),
                LimitsBody.From(o.Maximum)));
    }

    private static ApiError Insufficient(KeyRole role) => ApiError.Forbidden("insufficient_role",
        $"This needs the {ManageRole.ToWire()} role or higher; your role in this account is {role.ToWire()}.");

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
