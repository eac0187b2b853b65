using System.Text.Json;
using Sluice.Accounts;
using Sluice.Retention;
using Sluice.Storage;
using Sluice.Wire;

namespace Sluice.Host;

/// <summary>
/// Operator commands for self-hosters, run in-process against the configured storage (no secret needed: whoever
/// can run this has the storage credentials anyway). They call the same lifecycle code as the operator API, so the
/// same rules, 409s and audit entries (actor <c>cli</c>) apply. Output is JSON, so scripts can read it; exit code
/// 0 on success, 1 when the change was refused, 2 for a usage error.
/// </summary>
internal static class OperatorCli
{
    private const string Actor = "cli";
    private static readonly JsonSerializerOptions s_json = new(SluiceJson.Wire.Options) { WriteIndented = true };

    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] is "accounts" or "keys" or "purge" or "--help" or "help";

    public static Task<int> RunAsync(IServiceProvider services, string[] args) => RunAsync(services, args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, TextWriter errors)
    {
        var ct = CancellationToken.None;
        await services.GetRequiredService<SluiceStorage>().EnsureCreatedAsync(ct);
        var lifecycle = services.GetRequiredService<AccountLifecycle>();
        var accounts = services.GetRequiredService<AccountStore>();
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AccountOptions>>().Value;
        switch (args)
        {
            case ["accounts", "create", .. var rest]:
            {
                return (await lifecycle.CreateAsync(Option(rest, "--name"), Option(rest, "--region"), Actor, null, ct)).TryGet(out var created, out var error)
                    ? Print(new CreatedAccount(AccountView.From(created.Account, options), created.OwnerKey))
                    : Fail(error.Message);
            }
            case ["accounts", "list", .. var rest]:
            {
                AccountState? state = null;
                if (Option(rest, "--state") is { } s)
                {
                    if (!AccountStateNames.TryParse(s, out var parsed))
                    {
                        return Fail("--state must be one of active, suspended, expired, purged.");
                    }
                    state = parsed;
                }
                var list = new List<AccountView>();
                await foreach (var a in accounts.ListAsync(state, ct))
                {
                    list.Add(AccountView.From(a, options));
                }
                return Print(new AccountList(list));
            }
            case ["accounts", "get", .. var rest]:
            {
                var account = await accounts.GetAsync(Option(rest, "--account") ?? "", ct);
                return account is null ? Fail("No such account (--account acct_…).") : Print(AccountView.From(account, options));
            }
            case ["accounts", "suspend", .. var rest]:
                return Changed(await lifecycle.SuspendAsync(Option(rest, "--account") ?? "", Option(rest, "--reason"), Option(rest, "--note"), Actor, null, ct));
            case ["accounts", "reinstate", .. var rest]:
                return Changed(await lifecycle.ReinstateAsync(Option(rest, "--account") ?? "", Actor, null, ct));
            case ["accounts", "reopen", .. var rest]:
                return Changed(await lifecycle.ReopenAsync(Option(rest, "--account") ?? "", Actor, null, ct));
            case ["accounts", "legal-hold", "on" or "off", .. var rest]:
                return Changed(await lifecycle.SetLegalHoldAsync(Option(rest, "--account") ?? "", args[2] == "on", Option(rest, "--reason"), Actor, null, ct));
            case ["keys", "create", .. var rest]:
            {
                var account = await accounts.GetAsync(Option(rest, "--account") ?? "", ct);
                if (account is null)
                {
                    return Fail("No such account (--account acct_…).");
                }
                var models = Option(rest, "--models")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                return (await lifecycle.CreateKeyAsync(account,
                    new CreateKeyRequest(Option(rest, "--name"), Option(rest, "--role"), null, models), null, Actor, null, ct)).TryGet(out var key, out var error)
                    ? Print(key)
                    : Fail(error.Message);
            }
            case ["purge", "run"]:
            {
                var result = await services.GetRequiredService<Sluice.Retention.PurgeEngine>().RunAsync(ct);
                output.WriteLine($"{result.Status}: {string.Join(", ", result.Counts.Select(c => $"{c.Key}={c.Value}"))}");
                return result.Remaining ? 3 : 0;
            }
            default:
                output.WriteLine("""
                    Sluice operator commands (local host):
                      accounts create [--name NAME] [--region REGION]
                      accounts list [--state active|suspended|expired|purged]
                      accounts get --account ACCOUNT_ID
                      accounts suspend --account ACCOUNT_ID --reason non_payment|terms_violation|other [--note TEXT]
                      accounts reinstate --account ACCOUNT_ID
                      accounts reopen --account ACCOUNT_ID
                      accounts legal-hold on|off --account ACCOUNT_ID --reason TEXT
                      keys create --account ACCOUNT_ID [--role owner|admin|developer|restricted] [--name NAME] [--models m1,m2]
                      purge run
                    """);
                return args is [] or ["--help"] or ["help"] ? 0 : 2;
        }

        int Changed(Outcome<Account> result) =>
            result.TryGet(out var changed, out var error) ? Print(AccountView.From(changed, options)) : Fail(error.Message);

        int Print<T>(T value)
        {
            output.WriteLine(JsonSerializer.Serialize(value, s_json));
            return 0;
        }

        int Fail(string message)
        {
            errors.WriteLine(message);
            return 1;
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
