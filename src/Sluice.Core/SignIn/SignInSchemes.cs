using Sluice.Wire;
namespace Sluice.SignIn;

/// <summary>Authentication scheme names: one cookie scheme for the session, one OpenID Connect scheme per provider.</summary>
public static class SignInSchemes
{
    public const string Session = "sluice-session";
    private const string ProviderPrefix = "oidc-";

    public static string ForProvider(string provider) => ProviderPrefix + provider;

    public static bool TryGetProvider(string? scheme, out string provider)
    {
        provider = scheme is not null && scheme.StartsWith(ProviderPrefix, StringComparison.Ordinal) ? scheme[ProviderPrefix.Length..] : "";
        return provider.Length > 0;
    }

    /// <summary>The callback path of a provider, as registered at the provider (with the deployment's URL before it).</summary>
    public static string CallbackPath(string provider) => "/" + SluiceRoutes.DashboardSignInCallback.Replace("{provider}", provider, StringComparison.Ordinal);
}
