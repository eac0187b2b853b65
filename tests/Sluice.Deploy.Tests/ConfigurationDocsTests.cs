using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Sluice.Retention;

namespace Sluice.Deploy.Tests;

/// <summary>docs/configuration.md lists every setting the code binds, and no page of the documentation names a setting
/// the code does not have or states a default the code does not use.</summary>
public sealed partial class ConfigurationDocsTests
{
    private static string ConfigurationPage => File.ReadAllText(Repo.PathOf("docs", "configuration.md"));

    private static IEnumerable<(string Page, string Text)> Pages =>
        Directory.GetFiles(Repo.PathOf("docs"), "*.md").Append(Repo.PathOf("README.md"))
            .Select(path => (Path.GetRelativePath(Repo.Root, path), File.ReadAllText(path)));

    [Fact]
    public void EverySettingTheCodeReads_IsDocumented()
    {
        var page = ConfigurationPage;

        var missing = BoundSettings.All.Select(s => s.AppSetting).Append(PurgeEngine.ScheduleSetting)
            .Where(name => !page.Contains($"`{name}`", StringComparison.Ordinal)).ToList();

        Assert.True(missing.Count == 0, $"Not in docs/configuration.md: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EverySettingTheDocsName_IsOneTheCodeBinds()
    {
        var bound = BoundSettings.All.Select(s => s.AppSetting).ToHashSet();
        // Lists and dictionaries (routes, sign-in providers) are bound by index or name: Sluice__Routing__Routes__0__Model.
        var collections = BoundSettings.OptionsTypes.SelectMany(type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(property => property.SetMethod is { IsPublic: true } && property.PropertyType.IsGenericType)
                .Select(property => $"{BoundSettings.SectionOf(type).Replace(":", "__", StringComparison.Ordinal)}__{property.Name}__"))
            .ToList();

        var unknown = Pages.SelectMany(page => AppSetting().Matches(page.Text).Select(m => (page.Page, Setting: m.Value)))
            .Where(named => !collections.Any(prefix => named.Setting.StartsWith(prefix, StringComparison.Ordinal)) && !bound.Contains(named.Setting))
            .Select(named => $"{named.Setting} ({named.Page})").Distinct().ToList();

        Assert.True(unknown.Count == 0, $"Named in the docs but bound by no options class: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void EveryDefaultTheDocsState_IsTheCodesDefault()
    {
        var settings = BoundSettings.All.ToDictionary(s => s.AppSetting);
        var rows = Pages.SelectMany(page => DefaultRow().Matches(page.Text)
            .Select(m => (page.Page, Setting: m.Groups["setting"].Value, Default: m.Groups["default"].Value))).ToList();

        // Each table row "| `Sluice__X__Y` | `default` | ..." is checked against a fresh options object.
        Assert.Contains(rows, row => row.Page == Path.Combine("docs", "configuration.md"));
        var wrong = rows.Where(row => settings.TryGetValue(row.Setting, out var setting) && !SameValue(setting, row.Default))
            .Select(row => $"{row.Setting} documented as {row.Default} in {row.Page}, but the code's default is {settings[row.Setting].Default ?? "null"}")
            .ToList();

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    private static bool SameValue(BoundSetting setting, string documented)
    {
        var type = Nullable.GetUnderlyingType(setting.Property.PropertyType) ?? setting.Property.PropertyType;
        var code = setting.Default;
        return code switch
        {
            null => false,
            TimeSpan span => TimeSpan.TryParse(documented, CultureInfo.InvariantCulture, out var parsed) && parsed == span,
            bool flag => bool.TryParse(documented, out var parsed) && parsed == flag,
            Uri uri => Uri.TryCreate(documented, UriKind.Absolute, out var parsed) && parsed == uri,
            string text => text == documented,
            _ when type.IsPrimitive || type == typeof(decimal) =>
                Convert.ToString(code, CultureInfo.InvariantCulture) == documented,
            _ => false,
        };
    }

    [GeneratedRegex(@"\bSluice__\w+")]
    private static partial Regex AppSetting();

    [GeneratedRegex(@"^\|\s*`(?<setting>Sluice__\w+)`\s*\|\s*`(?<default>[^`]*)`\s*\|", RegexOptions.Multiline)]
    private static partial Regex DefaultRow();
}
