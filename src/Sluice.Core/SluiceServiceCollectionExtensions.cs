using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Dashboard;
using Sluice.FairUse;
using Sluice.Health;
using Sluice.Payloads;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Retention;
using Sluice.Routing;
using Sluice.SignIn;
using Sluice.Stamp;
using Sluice.Storage;
using Sluice.Surfaces;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice;

/// <summary>The composition root both hosts share: one <c>AddSluice</c> made of one <c>Add…</c> per capability.</summary>
public static class SluiceServiceCollectionExtensions
{
    public static IServiceCollection AddSluice(this IServiceCollection services)
    {
        // Tests put a FakeTimeProvider in first; TryAdd keeps it.
        services.TryAddSingleton(TimeProvider.System);
        services.AddMemoryCache();
        services.AddSluiceOptions<StampOptions>(StampOptions.Section);
        // First options validated on start: an unresolved Key Vault reference stops the app before anything runs.
        services.AddSingleton<IValidateOptions<StampOptions>, KeyVaultReferenceGuard>();
        return services
            .AddSluiceStorage()
            .AddSluiceProviders()
            .AddSluiceRouting()
            .AddSluiceUsage()
            .AddSluiceAccounts()
            .AddSluicePayloads()
            .AddSluiceRetention()
            .AddSluiceFairUse()
            .AddSluiceProxy()
            .AddSluiceSurfaces()
            .AddSluiceDashboard();
    }

    public static IServiceCollection AddSluiceStorage(this IServiceCollection services)
    {
        services.AddSluiceOptions<StorageOptions>(StorageOptions.Section);
        services.AddSingleton<SluiceStorage>();
        services.AddHostedService<StorageInitializer>();
        services.AddSingleton<StorageHealth>();
        services.AddSingleton<HealthHandler>();
        return services;
    }

    public static IServiceCollection AddSluiceProviders(this IServiceCollection services)
    {
        services.AddSluiceOptions<UpstreamOptions>(UpstreamOptions.Section);
        services.AddUpstreamHttp();
        services.AddSingleton<IChatProvider, OpenAIProvider>();
        services.AddSingleton<IChatProvider, OpenAICompatibleProvider>();
        services.AddSingleton<IChatProvider, AzureOpenAIProvider>();
        services.AddSingleton<IChatProvider, AnthropicProvider>();
        services.AddSingleton<IChatProvider, MockProvider>();
        return services;
    }

    public static IServiceCollection AddSluiceRouting(this IServiceCollection services)
    {
        services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.Section);
        services.AddSluiceOptions<DataPolicyOptions>(DataPolicyOptions.Section);
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<RouteSelector>();
        services.AddSingleton<DataPolicyHandlers>();
        return services;
    }

    public static IServiceCollection AddSluiceUsage(this IServiceCollection services)
    {
        services.AddSluiceOptions<UsageOptions>(UsageOptions.Section);
        services.AddSingleton<UsageTable>();
        services.AddSingleton<TokenEstimator>();
        services.AddSingleton<UsageMeter>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageMeter>());
        services.AddSingleton<RollupTable>();
        services.AddSingleton<UsageHandler>();
        return services;
    }

    public static IServiceCollection AddSluiceAccounts(this IServiceCollection services)
    {
        services.AddSluiceOptions<AccountOptions>(AccountOptions.Section);
        services.AddSluiceOptions<OperatorOptions>(OperatorOptions.Section);
        services.AddSluiceOptions<ForwardedForOptions>(ForwardedForOptions.Section);
        services.AddSluiceOptions<RetentionOptions>(RetentionOptions.Section);
        services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<KeysTable>();
        services.AddSingleton<KeyStore>();
        services.AddSingleton<MemberStore>();
        services.AddSingleton<AccountOwners>();
        services.AddSingleton<MemberLifecycle>();
        services.AddSingleton<MemberAuthenticator>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<FailedAuthThrottle>();
        services.AddSingleton<GatewayAuthenticator>();
        services.AddSingleton<AccountLifecycle>();
        services.AddSingleton<OperatorHandlers>();
        services.AddSingleton<AccountHandlers>();
        services.AddSingleton<MemberBoundaryHandlers>();
        services.AddSingleton<KeyHandlers>();
        return services;
    }

    /// <summary>Opted-in content: encryption, payload blobs, capture, erasure and the stored-request API.</summary>
    public static IServiceCollection AddSluicePayloads(this IServiceCollection services)
    {
        services.AddSluiceOptions<PayloadOptions>(PayloadOptions.Section);
        services.AddSingleton<IValidateOptions<PayloadOptions>, PayloadOptionsValidator>();
        services.AddSingleton<DataKeyRing>();
        services.AddSingleton<PayloadStore>();
        services.AddSingleton<ContentEraser>();
        return services;
    }

    public static IServiceCollection AddSluiceRetention(this IServiceCollection services)
    {
        services.AddSluiceOptions<PurgeOptions>(PurgeOptions.Section);
        services.AddSingleton<IValidateOptions<PurgeOptions>, PurgeSchedule.Validator>();
        services.AddSingleton<PurgeScope>();
        services.AddSingleton<AccountPurge>();
        services.AddPurgeRules();
        services.AddSingleton<PurgeEngine>();
        services.AddSingleton<PurgeHandlers>();
        services.AddSingleton<RetentionHandlers>();
        services.AddSingleton<DataExport>();
        services.AddSingleton<StoredRequestHandlers>();
        return services;
    }

    /// <summary>Spend budgets and rate limits per key and account, and the limits API.</summary>
    public static IServiceCollection AddSluiceFairUse(this IServiceCollection services)
    {
        services.AddSluiceOptions<FairUseOptions>(FairUseOptions.Section);
        services.AddSingleton<IValidateOptions<FairUseOptions>, FairUseOptionsValidator>();
        services.AddSingleton<LimitStore>();
        services.AddSingleton<SpendLedger>();
        services.AddSingleton<RateCounters>();
        services.AddSingleton<FairUseGate>();
        services.AddHostedService<FairUseRefresher>();
        services.AddSingleton<LimitHandlers>();
        return services;
    }

    public static IServiceCollection AddSluiceProxy(this IServiceCollection services)
    {
        services.AddSluiceOptions<ProxyOptions>(ProxyOptions.Section);
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>>(sp => new ConfigureOptions<KestrelServerOptions>(kestrel =>
            kestrel.Limits.MaxRequestBodySize = sp.GetRequiredService<IOptions<ProxyOptions>>().Value.ServerMaxRequestBodySize));
        services.AddSingleton(sp => new RequestBodyBudget(
            sp.GetRequiredService<IOptions<ProxyOptions>>().Value.MaxBufferedRequestBytes, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ModelsHandler>();
        services.AddSingleton<Responses.ResponsesSurface>();
        services.AddSingleton<Responses.StoredResponseHandlers>();
        return services;
    }

    internal static void AddSluiceOptions<T>(this IServiceCollection services, string section) where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}
