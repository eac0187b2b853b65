using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sluice.Deploy.Tests.Bicep;

/// <summary>
/// Resolves <c>bicep/main.parameters.json</c> the way <c>azd provision</c> does (Azure/azure-dev,
/// <c>pkg/infra/provisioning/bicep/bicep_provider.go</c>, <c>loadParameters</c> and <c>armParameterFileValue</c>):
/// <list type="bullet">
/// <item><c>${VAR}</c> from the azd environment; <c>${VAR=default}</c> (and <c>:=</c>, <c>-</c>, <c>:-</c>) falls back to
/// the default when the variable is unset or empty (drone/envsubst's <c>toDefault</c>);</item>
/// <item><c>$(secretOrRandomPassword vault secret)</c> reads the vault, and with any other argument count (the vault
/// name still unknown) returns a fresh password (<c>pkg/cmdsubst/secretOrRandomPassword.go</c>);</item>
/// <item>a string parameter mapped to an unset variable that resolves to "" is left out, so the template default
/// applies; numbers and booleans written as strings are converted;</item>
/// <item>a required parameter still without a value is asked for (<c>ensureParameters</c>): for a location parameter
/// with <c>metadata.azd.default</c> this test accepts the preselected region, as a user pressing Enter would (azd then
/// saves it as AZURE_LOCATION); any other would stop a first <c>azd up</c> at a prompt, so it fails the test.</item>
/// </list>
/// </summary>
internal static partial class AzdParameters
{
    public static JsonObject Resolve(JsonObject parametersFile, JsonObject compiledTemplate, IReadOnlyDictionary<string, string> environment, FakeVault vault)
    {
        var definitions = compiledTemplate["parameters"]!.AsObject();
        var resolved = new JsonObject();
        foreach (var (name, parameter) in parametersFile["parameters"]!.AsObject())
        {
            var unset = false;
            var text = EnvironmentVariable().Replace(parameter!.ToJsonString(), match =>
            {
                var found = environment.TryGetValue(match.Groups["name"].Value, out var value);
                unset |= !found;
                return string.IsNullOrEmpty(value) && match.Groups["op"].Success ? match.Groups["default"].Value : value ?? "";
            });
            text = Command().Replace(text, match => match.Groups["name"].Value == "secretOrRandomPassword"
                ? vault.SecretOrRandomPassword(match.Groups["args"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                : match.Value);

            var value = JsonNode.Parse(text)!["value"];
            if (value is JsonValue single && single.TryGetValue(out string? s))
            {
                if (s.Length == 0 && unset)
                {
                    continue;
                }
                value = TypeOf(definitions[name]!.AsObject(), compiledTemplate) switch
                {
                    "int" when long.TryParse(s, out var number) => number,
                    "bool" when bool.TryParse(s, out var flag) => flag,
                    "int" or "bool" => null,
                    _ => s,
                };
                if (value is null)
                {
                    continue;
                }
            }
            resolved[name] = value?.DeepClone();
        }

        foreach (var (name, definition) in definitions)
        {
            if (resolved.ContainsKey(name) || definition!["defaultValue"] is not null || (bool?)definition["nullable"] == true)
            {
                continue;
            }
            var azd = definition["metadata"]?["azd"];
            resolved[name] = (string?)azd?["type"] == "location" && azd["default"] is { } preselected
                ? preselected.DeepClone()
                : throw new InvalidOperationException($"A first azd up would stop to ask for parameter '{name}'.");
        }
        return resolved;
    }

    private static string TypeOf(JsonObject definition, JsonObject template) =>
        definition["type"]?.GetValue<string>().ToLowerInvariant()
        ?? TypeOf(template["definitions"]![definition["$ref"]!.GetValue<string>().Split('/')[^1]]!.AsObject(), template);

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:?[=-])(?<default>[^}]*))?\}")]
    private static partial Regex EnvironmentVariable();

    // Same pattern as azd's cmdsubst: $( name args ) with word characters, whitespace and dashes.
    [GeneratedRegex(@"\$\(\s*(?<name>\w+)(?<args>[\w\s-]*)\)")]
    private static partial Regex Command();
}

/// <summary>The Key Vault as azd's <c>secretOrRandomPassword</c> sees it, recording every call.</summary>
internal sealed class FakeVault
{
    private readonly Random _random = new(20261123);

    /// <summary>Secrets already stored, by (vault, secret).</summary>
    public Dictionary<(string Vault, string Secret), string> Stored { get; } = [];

    public List<string[]> Calls { get; } = [];

    public string SecretOrRandomPassword(string[] args)
    {
        Calls.Add(args);
        return args.Length == 2 && Stored.TryGetValue((args[0], args[1]), out var stored) ? stored : FreshPassword();
    }

    /// <summary>azd's password: 5 lowercase, 5 uppercase and 5 digits, shuffled (pkg/password/generator.go).</summary>
    public string FreshPassword()
    {
        var chars = Pick("abcdefghijklmnopqrstuvwxyz").Concat(Pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ")).Concat(Pick("0123456789")).ToArray();
        _random.Shuffle(chars);
        return new string(chars);

        IEnumerable<char> Pick(string alphabet) => Enumerable.Range(0, 5).Select(_ => alphabet[_random.Next(alphabet.Length)]);
    }
}
