namespace Sluice.Routing;

/// <summary>
/// The models this deployment routes, as an ordered list of routes (<c>Sluice__Routing__Routes__0__Model</c>, …).
/// Several routes may share a public model name: they are tried in list order, skipping any the caller's data
/// policy forbids.
/// </summary>
public sealed class RoutingOptions
{
    public const string Section = "Sluice:Routing";

    public List<RouteDefinition> Routes { get; set; } = [];
}

/// <summary>One upstream that can serve a public model name, and the facts about what it does with data.</summary>
public sealed class RouteDefinition
{
    /// <summary>The public model name clients send.</summary>
    public string Model { get; set; } = "";

    /// <summary><c>openai</c>, <c>openai-compatible</c>, <c>azure-openai</c>, <c>anthropic</c> or <c>mock</c>.</summary>
    public string Provider { get; set; } = "";

    /// <summary>Stable id shown on usage rows; defaults to <c>{provider}:{upstream model}</c>.</summary>
    public string? Id { get; set; }

    /// <summary>The upstream model (or Azure OpenAI deployment) name; defaults to <see cref="Model"/>.</summary>
    public string? UpstreamModel { get; set; }

    /// <summary>Base URL of the upstream API (OpenAI: <c>…/v1</c>; Azure OpenAI: the resource endpoint).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Name of the app setting that holds the upstream API key (a Key Vault reference in Azure).
    /// The key itself never appears in route configuration.</summary>
    public string? ApiKeySetting { get; set; }

    /// <summary>Azure OpenAI <c>api-version</c>.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>Azure OpenAI authentication: <c>api-key</c> (default) or <c>entra</c> (the app's managed identity).</summary>
    public string? Auth { get; set; }

    public decimal InputPricePerMillion { get; set; }
    public decimal OutputPricePerMillion { get; set; }

    /// <summary>Where the upstream processes data: a data-region label such as <c>us</c> or <c>eu</c>, <c>global</c>,
    /// or <c>stamp</c> for "this deployment's own region" (the mock model, a model served beside the app).
    /// Undeclared counts as <c>global</c>.</summary>
    public string? Region { get; set; }

    /// <summary><c>none</c> (zero data retention), <c>abuse-monitoring</c> (with <see cref="RetentionDays"/>) or
    /// <c>unknown</c>. Undeclared counts as <c>unknown</c>.</summary>
    public string? Retention { get; set; }

    public int? RetentionDays { get; set; }

    /// <summary>Whether the provider may train on the data: <c>no</c>, <c>yes</c> or <c>unknown</c> (the default).</summary>
    public string? Training { get; set; }
}
