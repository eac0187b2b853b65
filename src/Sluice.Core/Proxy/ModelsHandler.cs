using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Sluice.Accounts;
using Sluice.Providers;
using Sluice.Routing;
using Sluice.Wire;

namespace Sluice.Proxy;

/// <summary>
/// <c>GET /v1/models</c>: the models this caller can use (at least one route allowed by its data policy and its
/// key's model list), in OpenAI's list format (and <c>GET /v1/models/{id}</c> one of them), with each model's route data facts in a <c>sluice</c> field that
/// OpenAI clients ignore.
/// </summary>
public sealed class ModelsHandler(GatewayAuthenticator authenticator, ModelCatalog catalog, RouteSelector selector)
{
    public async Task<IResult> HandleAsync(HttpContext context)
    {
        if (!(await AuthorizeAsync(context)).TryGet(out var authorized, out var error))
        {
            return error;
        }
        var (caller, policy) = authorized;
        var data = new List<ModelEntry>();
        foreach (var (model, routes) in catalog.Models)
        {
            if (Entry(model, routes, caller, policy) is { } entry)
            {
                data.Add(entry);
            }
        }
        return TypedResults.Json(new ModelList("list", data), ProxyJson.Wire.ModelList);
    }

    /// <summary><c>GET /v1/models/{id}</c>: one model of the list, filtered the same way; 404 for a model the caller
    /// cannot use, exactly as for one that does not exist, so the answer says nothing of other accounts' routes.</summary>
    public async Task<IResult> RetrieveAsync(HttpContext context, string id)
    {
        if (!(await AuthorizeAsync(context)).TryGet(out var authorized, out var error))
        {
            return error;
        }
        var (caller, policy) = authorized;
        return catalog.TryGetRoutes(id, out var routes) && Entry(id, routes, caller, policy) is { } entry
            ? TypedResults.Json(entry, ProxyJson.Wire.ModelEntry)
            : ApiError.ModelNotFound(id);
    }

    private async Task<Outcome<(Caller Caller, DataPolicy Policy)>> AuthorizeAsync(HttpContext context)
    {
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.Proxy)).TryGet(out var caller, out var error))
        {
            return error;
        }
        return selector.EffectivePolicy(caller.Account, context.Request.Headers).TryGet(out var policy, out var policyError)
            ? (caller, policy)
            : policyError;
    }

    /// <summary>The model as the caller sees it: the routes its data policy allows, or null when its key may not use the
    /// model or no route is allowed.</summary>
    private ModelEntry? Entry(string model, IEnumerable<ModelRoute> routes, Caller caller, DataPolicy policy)
    {
        if (!caller.Key.AllowsModel(model))
        {
            return null;
        }
        var allowed = new List<RouteFacts>();
        foreach (var route in routes)
        {
            if (policy.Violation(route.Facts, selector.StampRegion) is null)
            {
                allowed.Add(new RouteFacts(route.Id, route.Provider.Name, route.Facts.Region, route.Facts.RetentionWire,
                    route.Facts.RetentionDays, route.Facts.TrainingWire));
            }
        }
        return allowed.Count > 0 ? new ModelEntry(model, "model", 0, "sluice", new ModelFacts(allowed)) : null;
    }
}

internal sealed record ModelList(string Object, IReadOnlyList<ModelEntry> Data);

internal sealed record ModelEntry(string Id, string Object, long Created, string OwnedBy, [property: JsonPropertyName("sluice")] ModelFacts Sluice);

internal sealed record ModelFacts(IReadOnlyList<RouteFacts> Routes);

internal sealed record RouteFacts(string Id, string Provider, string Region, string Retention, int? RetentionDays, string Training);
