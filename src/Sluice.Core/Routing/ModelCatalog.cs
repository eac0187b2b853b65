using System.Collections.Frozen;
using System.Collections.Immutable;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Sluice.Providers;
using Sluice.Stamp;

namespace Sluice.Routing;

/// <summary>
/// The route table: public model name → ordered routes. Built once from configuration (and again only when the
/// configuration changes), so resolving a model on the request path is one frozen-dictionary lookup.
/// </summary>
public sealed class ModelCatalog
{
    private readonly IConfiguration _configuration;
    private readonly FrozenDictionary<string, IChatProvider> _providers;
    private volatile Table _table;

    private readonly string _stampRegion;

    public ModelCatalog(IOptionsMonitor<RoutingOptions> options, IConfiguration configuration, IEnumerable<IChatProvider> providers,
        IOptions<StampOptions> stamp)
    {
        _configuration = configuration;
        _stampRegion = stamp.Value.DataRegion;
        _providers = providers.ToFrozenDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _table = Build(options.CurrentValue);
        options.OnChange(o => _table = Build(o));
    }

    /// <summary>Every public model with its routes, in configuration order.</summary>
    public ImmutableArray<(string Model, ImmutableArray<ModelRoute> Routes)> Models => _table.Ordered;

    public bool TryGetRoutes(string model, out ImmutableArray<ModelRoute> routes) =>
        _table.ByModel.TryGetValue(model, out routes);

    private Table Build(RoutingOptions options)
    {
        var byModel = new Dictionary<string, ImmutableArray<ModelRoute>.Builder>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var d in options.Routes)
        {
            var route = Resolve(d);
            if (!byModel.TryGetValue(route.Model, out var list))
            {
                byModel[route.Model] = list = ImmutableArray.CreateBuilder<ModelRoute>();
                order.Add(route.Model);
            }
            list.Add(route);
        }
        var frozen = byModel.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToImmutable(), StringComparer.Ordinal);
        return new Table(frozen, [.. order.Select(m => (m, frozen[m]))]);
    }

    private ModelRoute Resolve(RouteDefinition d)
    {
        if (string.IsNullOrWhiteSpace(d.Model))
        {
            throw new InvalidOperationException("Every Sluice:Routing:Routes entry needs a Model.");
        }
        if (!_providers.TryGetValue(d.Provider ?? "", out var provider))
        {
            throw new InvalidOperationException(
                $"Route for model '{d.Model}': unknown Provider '{d.Provider}'. Known: {string.Join(", ", _providers.Keys.Order())}.");
        }
        if (d.InputPricePerMillion < 0 || d.OutputPricePerMillion < 0)
        {
            throw new InvalidOperationException($"Route for model '{d.Model}': prices cannot be negative.");
        }
        Uri? baseUrl = null;
        if (!string.IsNullOrWhiteSpace(d.BaseUrl) && !Uri.TryCreate(d.BaseUrl.TrimEnd('/') + "/", UriKind.Absolute, out baseUrl))
        {
            throw new InvalidOperationException($"Route for model '{d.Model}': BaseUrl is not an absolute URL.");
        }
        var upstreamModel = string.IsNullOrWhiteSpace(d.UpstreamModel) ? d.Model : d.UpstreamModel;
        var credential = string.IsNullOrWhiteSpace(d.ApiKeySetting)
            ? UpstreamCredential.None
            : UpstreamCredential.From(_configuration[d.ApiKeySetting]);
        var route = new ModelRoute
        {
            Id = string.IsNullOrWhiteSpace(d.Id) ? $"{provider.Name}:{upstreamModel}" : d.Id,
            Model = d.Model,
            Provider = provider,
            UpstreamModel = upstreamModel,
            BaseUrl = baseUrl,
            Credential = credential,
            ApiVersion = d.ApiVersion,
            UseManagedIdentity = string.Equals(d.Auth, "entra", StringComparison.OrdinalIgnoreCase)
                || string.Equals(d.Auth, "managed-identity", StringComparison.OrdinalIgnoreCase),
            Pricing = new Pricing(d.InputPricePerMillion, d.OutputPricePerMillion),
            Facts = RouteDataFacts.From(d, _stampRegion),
        };
        provider.Validate(route);
        return route;
    }

    private sealed record Table(
        FrozenDictionary<string, ImmutableArray<ModelRoute>> ByModel,
        ImmutableArray<(string Model, ImmutableArray<ModelRoute> Routes)> Ordered);
}
