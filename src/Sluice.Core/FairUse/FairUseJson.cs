using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.FairUse;

/// <summary>Source-generated JSON for the limits API. Unknown fields are refused, so a misspelt limit is a 400 rather
/// than a limit silently not set.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(LimitsBody))]
[JsonSerializable(typeof(LimitsView))]
[JsonSerializable(typeof(AccountLimitsView))]
internal sealed partial class FairUseJson : JsonSerializerContext
{
    public static FairUseJson Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary>One subject's limits on the wire; null (or left out) is "none of its own": the deployment's default applies.</summary>
public sealed record LimitsBody(decimal? DailyBudgetUsd, decimal? MonthlyBudgetUsd, int? RequestsPerMinute, int? TokensPerMinute)
{
    public static LimitsBody From(Limits limits) => new(limits.DailyBudgetUsd, limits.MonthlyBudgetUsd, limits.RequestsPerMinute, limits.TokensPerMinute);

    public Limits ToLimits() => new(DailyBudgetUsd, MonthlyBudgetUsd, RequestsPerMinute, TokensPerMinute);
}

/// <summary>A subject's limits as the API shows them: its own setting and what is in force (own, else default, capped
/// by the maximum).</summary>
public sealed record LimitsView(string Object, string Subject, string Id, LimitsBody Own, LimitsBody Effective)
{
    public static LimitsView From(LimitSubject subject, Limits? own, FairUseOptions options) => new("limits", subject.KindName, subject.Id,
        LimitsBody.From(own ?? Limits.None), LimitsBody.From(options.Effective(subject.Kind, own)));
}

/// <summary><c>GET /v1/account/limits</c>: the account's own, every key and member that set their own, and the deployment's.</summary>
public sealed record AccountLimitsView(string Object, LimitsView Account, IReadOnlyList<LimitsView> Keys, IReadOnlyList<LimitsView> Members,
    DeploymentLimits Deployment);

public sealed record DeploymentLimits(LimitsBody KeyDefault, LimitsBody AccountDefault, LimitsBody Maximum);
