using System.Security.Cryptography;
using System.Text.Json;
using Sluice.Accounts;
using Sluice.Host.Dev;

namespace Sluice.Host;

/// <summary>
/// The README's first command: Azurite (started here unless one already runs), a generated operator secret, a
/// demo account whose key is printed, so a fresh clone answers <c>curl</c> with the built-in mock model, and a local
/// OpenID Connect provider with a demo person, so the dashboard can be signed in to with no external provider.
/// Dev state lives in <c>.local/</c> at the repository root (git-ignored).
/// </summary>
internal static class DevEnvironment
{
    private static AzuriteProcess? s_azurite;
    private static DevIdentityProvider? s_identityProvider;

    /// <summary>The dev provider's name in <c>Sluice:SignIn:Providers</c> (and in its callback URL).</summary>
    public const string IdentityProviderName = "dev";

    public static async Task PrepareAsync(WebApplicationBuilder builder)
    {
        var root = RepoRoot.Find();
        var local = Path.Combine(root, ".local");
        Directory.CreateDirectory(local);

        string connection;
        if (AzuriteProcess.DefaultPortsInUse())
        {
            Console.WriteLine("Using the Azurite already listening on 127.0.0.1:10000/10002.");
            connection = "UseDevelopmentStorage=true";
        }
        else
        {
            s_azurite = await AzuriteProcess.StartAsync(Path.Combine(local, "azurite"));
            connection = s_azurite.ConnectionString;
            Console.WriteLine($"Started Azurite (data in .local/azurite): blob :{s_azurite.BlobPort}, table :{s_azurite.TablePort}.");
        }

        s_identityProvider = await DevIdentityProvider.StartAsync(new DevIdentityProviderOptions());
        Console.WriteLine($"Started the dev OpenID Connect provider at {s_identityProvider.Authority} (demo person {DevIdentityProvider.DemoPerson.Email}).");

        var settings = new Dictionary<string, string?>
        {
            ["Sluice:Storage:ConnectionString"] = connection,
            ["Sluice:Operator:Secret"] = ReadOrCreate(Path.Combine(local, "operator-secret"), 32),
            ["Sluice:Payloads:MasterKey"] = ReadOrCreate(Path.Combine(local, "dev-master-key"), 32),
        };
        foreach (var (key, value) in s_identityProvider.SignInSettings(IdentityProviderName, "Sluice dev sign-in"))
        {
            settings[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddHostedService<StopDevServices>();
    }

    /// <summary>Once the host listens: make sure the demo account exists and print how to call it.</summary>
    public static async Task AnnounceAsync(WebApplication app)
    {
        try
        {
            var services = app.Services;
            var stateFile = Path.Combine(RepoRoot.Find(), ".local", "demo-account.json");
            var demo = File.Exists(stateFile) ? JsonSerializer.Deserialize<DemoAccount>(File.ReadAllText(stateFile)) : null;
            var keys = services.GetRequiredService<KeyStore>();
            if (demo is null || await keys.FindByHashAsync(GatewayKey.Hash(demo.Key), CancellationToken.None) is not { } found
                || !found.IsUsableAt(DateTimeOffset.UtcNow))
            {
                var lifecycle = services.GetRequiredService<AccountLifecycle>();
                if (!(await lifecycle.CreateAsync("demo", null, "dev", null, CancellationToken.None)).TryGet(out var created, out var error))
                {
                    Console.Error.WriteLine($"Could not create the demo account: {error.Message}");
                    return;
                }
                demo = new DemoAccount(created.Account.Id, created.OwnerKey.Key);
                File.WriteAllText(stateFile, JsonSerializer.Serialize(demo));
            }
            if (s_identityProvider is not null)
            {
                // The demo person owns the demo account. Their issuer is the provider's loopback URL, whose port can
                // differ between runs: the membership of this run's issuer is added if missing.
                var person = DevIdentityProvider.DemoPerson;
                await services.GetRequiredService<MemberStore>().TryAddAsync(new Member
                {
                    AccountId = demo.AccountId,
                    PersonId = PersonId.Of(s_identityProvider.Authority.AbsoluteUri, person.Subject),
                    Issuer = s_identityProvider.Authority.AbsoluteUri,
                    Subject = person.Subject,
                    Name = person.Name,
                    Email = person.Email,
                    Role = KeyRole.Owner,
                    JoinedAt = services.GetRequiredService<TimeProvider>().GetUtcNow(),
                }, CancellationToken.None);
            }
            var url = app.Urls.FirstOrDefault() ?? "http://127.0.0.1:8787";
            Console.WriteLine($"""

                Sluice is running at {url} (dev mode: Azurite storage, built-in mock model).
                Demo account {demo.AccountId}, key (dev only, kept in .local/demo-account.json):
                  {demo.Key}

                Try a streamed completion:
                  curl -N {url}/v1/chat/completions \
                    -H "Authorization: Bearer {demo.Key}" -H "Content-Type: application/json" \
                    -d '{"{"}"model":"mock","stream":true,"messages":[{"{"}"role":"user","content":"Hello"{"}"}]{"}"}'

                Dashboard: {url}/dashboard (sign in as {DevIdentityProvider.DemoPerson.Email}, Owner of the demo account, with the dev provider).

                Operator secret (for /operator/...): .local/operator-secret. Stop with Ctrl+C.

                """);
        }
        catch (Exception e) when (e is IOException or Azure.RequestFailedException)
        {
            Console.Error.WriteLine($"Dev setup failed: {e.Message}");
        }
    }

    private static string ReadOrCreate(string path, int bytes)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
        var value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes));
        File.WriteAllText(path, value);
        return value;
    }

    private sealed record DemoAccount(string AccountId, string Key);

    private sealed class StopDevServices : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (s_identityProvider is not null)
            {
                await s_identityProvider.DisposeAsync();
            }
            if (s_azurite is not null)
            {
                await s_azurite.DisposeAsync();
            }
        }
    }
}
