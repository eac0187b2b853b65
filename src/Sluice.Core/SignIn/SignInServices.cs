using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sluice.SignIn.KeyRing;

namespace Sluice.SignIn;

public static class SignInServices
{
    /// <summary>The name every instance protects data under: Data Protection isolates applications by it (its default
    /// is the content root path, which differs between the two hosts and between instances).</summary>
    public const string DataProtectionApplicationName = "sluice";

    /// <summary>Dashboard sign-in: OpenID Connect per configured provider, the session cookie, anti-forgery, the shared
    /// key ring. The pages that drive it (and the refusal page, <see cref="ISignInRefusalPage"/>) are the dashboard's.</summary>
    public static IServiceCollection AddSluiceSignIn(this IServiceCollection services, string formFieldName, string formHeaderName)
    {
        services.AddOptions<SignInOptions>().BindConfiguration(SignInOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SignInOptions>, SignInOptionsValidator>();
        services.TryAddSingleton(SignInCookieSecurity.SameAsRequest);

        // The key ring: one encrypted blob in the stamp's storage, read by every instance.
        services.AddDataProtection().SetApplicationName(DataProtectionApplicationName);
        services.AddSingleton<KeyRingKey>();
        services.AddSingleton<BlobKeyRingRepository>();
        services.AddSingleton<KeyRingEncryptor>();
        services.AddOptions<KeyManagementOptions>().Configure<BlobKeyRingRepository, KeyRingEncryptor>((options, repository, encryptor) =>
        {
            options.XmlRepository = repository;
            options.XmlEncryptor = encryptor;
        });

        // The session cookie scheme, and one OpenID Connect scheme per configured provider. The provider schemes are
        // added when AuthenticationOptions is built (they come from configuration), as AddOpenIdConnect would add them.
        services.AddAuthentication().AddCookie(SignInSchemes.Session);
        services.AddSingleton<IConfigureOptions<CookieAuthenticationOptions>, SessionCookieOptions>();
        services.TryAddTransient<OpenIdConnectHandler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());
        services.AddSingleton<IConfigureOptions<OpenIdConnectOptions>, ProviderSchemeOptions>();
        services.AddOptions<AuthenticationOptions>().Configure<IOptions<SignInOptions>>((authentication, signIn) =>
        {
            foreach (var (provider, settings) in signIn.Value.Providers)
            {
                authentication.AddScheme(SignInSchemes.ForProvider(provider), scheme =>
                {
                    scheme.HandlerType = typeof(OpenIdConnectHandler);
                    scheme.DisplayName = settings.DisplayName ?? provider;
                });
            }
        });

        services.AddAntiforgery();
        services.AddOptions<AntiforgeryOptions>().Configure<SignInCookieSecurity>((options, security) =>
        {
            options.Cookie.Name = SignInCookies.Antiforgery;
            options.Cookie.Path = SignInCookies.Path;
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = security.Policy;
            options.FormFieldName = formFieldName;
            options.HeaderName = formHeaderName;
            // Pages send X-Frame-Options: DENY and frame-ancestors 'none' themselves.
            options.SuppressXFrameOptionsHeader = true;
        });

        return services;
    }

    /// <summary>Marks every dashboard cookie <c>Secure</c> on every response: the Azure Functions app (HTTPS only).</summary>
    public static IServiceCollection RequireSecureSignInCookies(this IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton(SignInCookieSecurity.Always));
}
