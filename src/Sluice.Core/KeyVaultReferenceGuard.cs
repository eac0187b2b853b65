using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Retention;
using Sluice.Routing;
using Sluice.Stamp;

namespace Sluice;

/// <summary>
/// Refuses to start a stamp whose settings still hold a literal Key Vault reference. When App Service cannot
/// resolve <c>@Microsoft.KeyVault(...)</c> (missing secret, missing role, vault unreachable) it hands the app the
/// reference text itself; run with that and the "master key" is a public string. Checked at start-up with the
/// stamp's options (validated on start, before any hosted service), so the app stops with one log line per setting,
/// naming the setting and never its value.
/// </summary>
internal sealed partial class KeyVaultReferenceGuard(IConfiguration configuration, ILogger<KeyVaultReferenceGuard> logger)
    : IValidateOptions<StampOptions>
{
    private const string ReferencePrefix = "@Microsoft.KeyVault(";

    public ValidateOptionsResult Validate(string? name, StampOptions options)
    {
        var unresolved = FindUnresolved(configuration);
        foreach (var setting in unresolved)
        {
            Log.Unresolved(logger, setting);
        }
        return unresolved.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Unresolved Key Vault reference in app setting(s) {string.Join(", ", unresolved)}. Check the reference status in the portal and the app identity's Key Vault Secrets User role.");
    }

    /// <summary>The app-setting names (<c>Sluice__Payloads__MasterKey</c>, not <c>Sluice:Payloads:MasterKey</c>) of
    /// every setting Sluice reads whose value is an unresolved Key Vault reference: everything under <c>Sluice</c>,
    /// the purge schedule, and the settings routes name as their upstream API key.</summary>
    public static IReadOnlyList<string> FindUnresolved(IConfiguration configuration)
    {
        var read = configuration.GetSection(StampOptions.Section).AsEnumerable()
            .Append(new(PurgeEngine.ScheduleSetting, configuration[PurgeEngine.ScheduleSetting]));
        foreach (var route in configuration.GetSection(RoutingOptions.Section).GetSection(nameof(RoutingOptions.Routes)).GetChildren())
        {
            if (route[nameof(RouteDefinition.ApiKeySetting)] is { Length: > 0 } keySetting)
            {
                read = read.Append(new(keySetting, configuration[keySetting]));
            }
        }
        return [.. read
            .Where(setting => setting.Value is not null && setting.Value.TrimStart().StartsWith(ReferencePrefix, StringComparison.OrdinalIgnoreCase))
            .Select(setting => setting.Key.Replace(":", "__", StringComparison.Ordinal))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)];
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Critical, "App setting {Setting} is an unresolved Key Vault reference; Sluice will not start. Check the reference status in the portal and the app identity's Key Vault Secrets User role.")]
        public static partial void Unresolved(ILogger logger, string setting);
    }
}
