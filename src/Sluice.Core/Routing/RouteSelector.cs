using System.Collections.Immutable;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Providers;
using Sluice.Stamp;
using Sluice.Wire;

namespace Sluice.Routing;

/// <summary>
/// Decides which routes may serve a caller's request: the model's routes, in order, minus those the caller's
/// effective data policy forbids. Never falls back to a forbidden route; when none is left the caller gets a 403
/// naming the policy that excluded them.
/// </summary>
public sealed class RouteSelector(ModelCatalog catalog, IOptions<StampOptions> stamp, IOptionsMonitor<DataPolicyOptions> defaults)
{
    /// <summary>The request header that tightens the data policy for one request.</summary>
    public const string PolicyHeader = "x-sluice-data-policy";

    public string StampRegion => stamp.Value.DataRegion;

    /// <summary>The account's policy, held to the deployment's floors when it declares them.</summary>
    public DataPolicy AccountPolicy(Account account)
    {
        var deployment = defaults.CurrentValue;
        var policy = account.DataPolicy ?? deployment.ToPolicy();
        return deployment.EnforceAsFloor ? policy.Tighten(deployment.ToPolicy()) : policy;
    }

    /// <summary>The account's policy tightened by the request's <see cref="PolicyHeader"/>, if any.</summary>
    public Outcome<DataPolicy> EffectivePolicy(Account account, IHeaderDictionary headers)
    {
        var policy = AccountPolicy(account);
        var header = headers[PolicyHeader].ToString();
        if (header.Length == 0)
        {
            return policy;
        }
        foreach (var token in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            switch (token.ToLowerInvariant())
            {
                case "in-region" or "in_region" or "in_region_only":
                    policy = policy with { InRegionOnly = true };
                    break;
                case "zero-retention" or "zero_retention" or "zero_retention_only":
                    policy = policy with { ZeroRetentionOnly = true };
                    break;
                case "no-training" or "no_training":
                    policy = policy with { AllowTraining = false };
                    break;
                default:
                    return ApiError.InvalidRequest(
                        $"'{PolicyHeader}' accepts in-region, zero-retention and no-training (comma-separated; a request can only tighten the account's policy.",
                        PolicyHeader);
            }
        }
        return policy;
    }

    /// <summary>The routes allowed to serve <paramref name="model"/> for this caller, in preference order.</summary>
    public Outcome<ImmutableArray<ModelRoute>> Select(string model, ApiKey key, DataPolicy policy)
    {
        if (!catalog.TryGetRoutes(model, out var routes))
        {
            return ApiError.ModelNotFound(model);
        }
        if (!key.AllowsModel(model))
        {
            return ApiError.Forbidden("model_not_allowed", $"This API key may not use the model '{ApiError.Echo(model)}'.");
        }
        // Usually every route is allowed: then the catalog's own array is the answer, with nothing allocated.
        ImmutableArray<ModelRoute>.Builder? allowed = null;
        string? violations = null;
        for (var i = 0; i < routes.Length; i++)
        {
            var violation = policy.Violation(routes[i].Facts, StampRegion);
            if (violation is null)
            {
                allowed?.Add(routes[i]);
                continue;
            }
            if (violations is null)
            {
                violations = violation;
            }
            else if (!violations.Contains(violation, StringComparison.Ordinal))
            {
                violations += " and " + violation;
            }
            if (allowed is null)
            {
                allowed = ImmutableArray.CreateBuilder<ModelRoute>(routes.Length);
                allowed.AddRange(routes, i);
            }
        }
        if (allowed is null)
        {
            return routes;
        }
        if (allowed.Count == 0)
        {
            // Names every rule that excluded a route, never a silent fallback: the caller learns which setting to
            // change (or which route to ask the operator for), and that nothing left the gateway.
            return ApiError.Forbidden("data_policy_violation",
                $"No route for the model '{ApiError.Echo(model)}' satisfies the data policy in force: {violations} excluded " +
                (routes.Length == 1 ? "its only route" : $"all {routes.Length} of its routes") +
                ". The request was not sent to any provider.");
        }
        return allowed.ToImmutable();
    }
}
