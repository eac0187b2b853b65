using System.Reflection;
using Sluice.Stamp;

namespace Sluice.Deploy.Tests;

/// <summary>
/// Every setting the code binds, found by reflection over Sluice.Core: each public type with a
/// <c>const string Section</c> contributes its public settable scalar properties as <c>Section__Property</c>
/// (the app-setting spelling of <c>Section:Property</c>). Options classes added later are found the same way.
/// </summary>
internal static class BoundSettings
{
    public static IReadOnlyList<Type> OptionsTypes { get; } = [.. typeof(StampOptions).Assembly.GetTypes()
        .Where(type => type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.FieldType == typeof(string))
        .OrderBy(type => type.FullName, StringComparer.Ordinal)];

    public static IReadOnlyList<BoundSetting> All { get; } = [.. OptionsTypes
        .SelectMany(type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.SetMethod is { IsPublic: true } && IsScalar(property.PropertyType))
            .Select(property => new BoundSetting(type, property)))];

    public static string SectionOf(Type options) => (string)options.GetField("Section")!.GetRawConstantValue()!;

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
            || type == typeof(Uri) || type == typeof(DateTimeOffset) || type == typeof(Guid);
    }
}

internal sealed record BoundSetting(Type Options, PropertyInfo Property)
{
    public string Section => BoundSettings.SectionOf(Options);

    public string AppSetting => $"{Section.Replace(":", "__", StringComparison.Ordinal)}__{Property.Name}";

    /// <summary>The value of a freshly constructed options object: the code's default.</summary>
    public object? Default => Property.GetValue(Activator.CreateInstance(Options));

    public override string ToString() => $"{AppSetting} (default {Default ?? "null"})";
}
