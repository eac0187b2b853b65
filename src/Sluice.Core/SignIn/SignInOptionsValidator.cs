using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Sluice.Payloads;

namespace Sluice.SignIn;

/// <summary>
/// Start-up check of the sign-in settings, so a wrong provider stops the deployment rather than the first person who
/// tries to sign in. Errors name the setting and the rule, never a value (a client secret could be one).
/// </summary>
internal sealed partial class SignInOptionsValidator(IOptions<PayloadOptions> payloads) : IValidateOptions<SignInOptions>
{
    public ValidateOptionsResult Validate(string? name, SignInOptions options)
    {
        var errors = new List<string>();
        if (options.SessionLifetime <= TimeSpan.FromMinutes(5) || options.SessionLifetime > SignInOptions.MaxSessionLifetime)
        {
            errors.Add($"{SignInOptions.Section}:SessionLifetime must be more than 00:05:00 and at most 1.00:00:00 (the published 24-hour limit).");
        }
        foreach (var (provider, settings) in options.Providers)
        {
            var prefix = $"{SignInOptions.Section}:Providers:{provider}";
            if (!ProviderName().IsMatch(provider))
            {
                errors.Add($"{SignInOptions.Section}:Providers has a provider named '{provider}'; names are 1-32 lowercase letters, digits or dashes (they appear in the callback URL).");
                continue;
            }
            if (settings.Authority is not { IsAbsoluteUri: true } authority
                || !(authority.Scheme == Uri.UriSchemeHttps || (authority.Scheme == Uri.UriSchemeHttp && authority.IsLoopback))
                || authority.Query.Length > 0 || authority.Fragment.Length > 0)
            {
                errors.Add($"{prefix}:Authority must be the provider's https issuer URL (http only on loopback), without query or fragment.");
            }
            if (string.IsNullOrWhiteSpace(settings.ClientId))
            {
                errors.Add($"{prefix}:ClientId is required.");
            }
            if (string.IsNullOrWhiteSpace(settings.ClientSecret))
            {
                errors.Add($"{prefix}:ClientSecret is required (in Azure, a Key Vault reference).");
            }
            if (settings.AllowedEmailDomains.Any(domain => string.IsNullOrWhiteSpace(domain) || domain.Contains('@', StringComparison.Ordinal)))
            {
                errors.Add($"{prefix}:AllowedEmailDomains entries are domains such as example.com, without '@'.");
            }
            if (settings.AllowedTenants.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"{prefix}:AllowedTenants entries must not be empty.");
            }
        }
        if (options.Providers.Count > 0)
        {
            // The key ring that protects sessions is encrypted with a key derived from the master key.
            var (_, _, keyError) = MasterKey.Parse(payloads.Value.MasterKey);
            if (keyError is not null)
            {
                errors.Add($"Sign-in needs {PayloadOptions.Section}:MasterKey (the session key ring is encrypted with a key derived from it): {keyError}");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")]
    private static partial Regex ProviderName();
}
