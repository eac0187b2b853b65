using Microsoft.Extensions.DependencyInjection;
using Sluice.Retention;
using Sluice.Retention.Rules;

namespace Sluice.Core.Tests.Retention;

public sealed class PurgeRulesTests
{
    /// <summary>The engine runs rules in registration order, so the composition's registrations are the purge order.</summary>
    private static List<Type?> Registered() =>
        [.. new ServiceCollection().AddSluice().Where(d => d.ServiceType == typeof(IPurgeRule)).Select(d => d.ImplementationType)];

    [Fact]
    public void AddSluice_RegistersThePurgeRules_InThePurgeOrder()
    {
        // Grace may make an account due, so it runs before whole-account purges; those run before the per-kind
        // rules; usage rows before rollups.
        Assert.Equal(
            [
                typeof(SuspensionGraceRule),
                typeof(ExpiredAccountsRule),
                typeof(ErasedContentRule),
                typeof(ExpiredContentRule),
                typeof(UsageRowsRule),
                typeof(DailyRollupsRule),
                typeof(AuditEntriesRule),
            ],
            Registered());
    }

    [Fact]
    public void EveryPurgeRuleInTheAssembly_IsRegistered_Once()
    {
        var rules = typeof(IPurgeRule).Assembly.GetTypes()
            .Where(type => typeof(IPurgeRule).IsAssignableFrom(type) && type is { IsInterface: false, IsAbstract: false })
            .OrderBy(type => type.FullName, StringComparer.Ordinal);

        Assert.Equal(rules, Registered().OrderBy(type => type!.FullName, StringComparer.Ordinal));
    }
}
