using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Sluice.Accounts;
using Sluice.Routing;

namespace Sluice.Proxy;

/// <summary>
/// <c>GET /v1/models</c>: the models this caller can use (at least one route allowed by its data policy and its
/// key's model list), in OpenAI's list format, with each model's route data facts in a <c>sluice</c> field that
/// OpenAI clients ignore.
/// </summary>
public sealed class ModelsHandler(GatewayAuthenticator authenticator, ModelCatalog catalog, RouteSelector selector)
{
    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAsync(context, CallerPurpose.Proxy);
        if (caller is null)
        {
            return error!;
        }
        var (policy, policyError) = selector.EffectivePolicy(caller.Account, context.Request.Headers);
        if (policy is null)
        {
            return policyError!;
        }
        var data = new List<ModelEntry>();
        foreach (var (model, routes) in catalog.Models)
        {
            if (!caller.Key.AllowsModel(model))
            {
                continue;
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
            if (allowed.Count > 0)
            {
                data.Add(new ModelEntry(model, "model", 0, "sluice", new ModelFacts(allowed)));
            }
        }
        return TypedResults.Json(new ModelList("list", data), ProxyJson.Wire.ModelList);
    }
}

public sealed record ModelList(string Object, IReadOnlyList<ModelEntry> Data);

public sealed record ModelEntry(string Id, string Object, long Created, string OwnedBy, [property: JsonPropertyName("sluice")] ModelFacts Sluice);

public sealed record ModelFacts(IReadOnlyList<RouteFacts> Routes);

public sealed record RouteFacts(string Id, string Provider, string Region, string Retention, int? RetentionDays, string Training);
