using System.Globalization;

namespace Sluice.Testing;

/// <summary>Builds <c>Sluice:Routing:Routes:N:*</c> settings. Index 0 stays the host's built-in mock route
/// (configuration arrays merge by index, so tests append after it).</summary>
public sealed class RouteSettings : Dictionary<string, string?>
{
    private int _next = 1;

    public RouteSettings Add(string model, string provider, Uri? baseUrl = null, string? id = null, string? upstreamModel = null,
        string? region = "us", string? retention = "none", string? training = "no", decimal input = 2.5m, decimal output = 10m,
        string? apiKey = "sk-upstream-test", string? apiVersion = null, int? retentionDays = null)
    {
        var prefix = $"Sluice:Routing:Routes:{_next++}:";
        this[prefix + "Model"] = model;
        this[prefix + "Provider"] = provider;
        this[prefix + "BaseUrl"] = baseUrl?.ToString();
        this[prefix + "Id"] = id;
        this[prefix + "UpstreamModel"] = upstreamModel;
        this[prefix + "Region"] = region;
        this[prefix + "Retention"] = retention;
        this[prefix + "RetentionDays"] = retentionDays?.ToString(CultureInfo.InvariantCulture);
        this[prefix + "Training"] = training;
        this[prefix + "InputPricePerMillion"] = input.ToString(CultureInfo.InvariantCulture);
        this[prefix + "OutputPricePerMillion"] = output.ToString(CultureInfo.InvariantCulture);
        this[prefix + "ApiVersion"] = apiVersion;
        if (apiKey is not null)
        {
            var setting = $"TEST_UPSTREAM_KEY_{_next}";
            this[prefix + "ApiKeySetting"] = setting;
            this[setting] = apiKey;
        }
        return this;
    }

    public RouteSettings With(string key, string? value)
    {
        this[key] = value;
        return this;
    }
}
