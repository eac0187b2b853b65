using Microsoft.Extensions.DependencyInjection;
using Sluice.Retention.Rules;

namespace Sluice.Retention;

/// <summary>
/// Every purge rule, registered from one list whose order is the order a run applies them (the engine runs the
/// <see cref="IPurgeRule"/>s in registration order). Adding a rule is one file in <c>Rules/</c> and one line here.
/// </summary>
internal static class PurgeRules
{
    /// <summary>The purge order. Grace first: it may make an account due. Then whole-account purges, which decide what
    /// is gone entirely, before the per-kind rules trim what remains. Usage rows before rollups: the rollup rule
    /// materialises closed days from the counters beside the rows.</summary>
    public static IReadOnlyList<Type> InOrder { get; } =
    [
        typeof(SuspensionGraceRule),
        typeof(ExpiredAccountsRule),
        typeof(ErasedContentRule),
        typeof(ExpiredContentRule),
        typeof(UsageRowsRule),
        typeof(DailyRollupsRule),
        typeof(AuditEntriesRule),
    ];

    public static IServiceCollection AddPurgeRules(this IServiceCollection services)
    {
        foreach (var rule in InOrder)
        {
            services.AddSingleton(typeof(IPurgeRule), rule);
        }

        return services;
    }
}
