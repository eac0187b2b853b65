using System.ClientModel;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Sluice.Accounts;
using Sluice.Storage;

namespace Sluice.Testing;

/// <summary>
/// The local host under test, on Kestrel on a free loopback port, with its own tables and containers in the shared
/// Azurite, every log line captured, and optionally a <see cref="FakeTimeProvider"/>.
/// </summary>
public sealed class SluiceApplication : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly string _environment;
    private readonly Action<IServiceCollection>? _services;

    private SluiceApplication(string connectionString, string name, IDictionary<string, string?> settings, FakeTimeProvider? time,
        string environment, Action<IServiceCollection>? services)
    {
        Name = name;
        Time = time;
        _environment = environment;
        _services = services;
        _settings = new Dictionary<string, string?>
        {
            ["Sluice:Storage:ConnectionString"] = connectionString,
            ["Sluice:Storage:TablePrefix"] = name,
            ["Sluice:Storage:PayloadContainer"] = name + "-payloads",
            ["Sluice:Storage:LockContainer"] = name + "-locks",
            ["Sluice:Operator:Secret"] = OperatorSecret,
            ["Sluice:Payloads:MasterKey"] = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()),
            // Fast retries keep failover tests quick; the behaviour is the same.
            ["Sluice:Proxy:RetryBaseDelay"] = "00:00:00.010",
            ["Sluice:Proxy:RetryMaxDelay"] = "00:00:00.050",
            // Tests exercise the Functions host's metering mode (each invocation awaits its row's commit), not the
            // local host's keep-alive-friendly one, so a seeded request's row is in storage before the test goes on.
            ["Sluice:Usage:WaitForCommit"] = "true",
            ["Sluice:Usage:GatherDelay"] = "00:00:00",
            // Tests run the purge engine themselves, at the instants they choose.
            ["Sluice:Host:SchedulerEnabled"] = "false",
        };
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }
        UseKestrel(0);
    }

    public const string OperatorSecret = "test-operator-secret";

    /// <summary>The unique prefix of this app's tables and containers.</summary>
    public string Name { get; }

    public FakeTimeProvider? Time { get; }

    public LogCapture Logs { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public SluiceStorage Storage => Services.GetRequiredService<SluiceStorage>();

    /// <param name="environment">The hosting environment; <c>Development</c> turns on what ASP.NET Core adds for it.</param>
    /// <param name="services">Extra registrations after the app's own (e.g. a provider that fails on purpose).</param>
    public static async Task<SluiceApplication> StartAsync(IDictionary<string, string?>? settings = null, FakeTimeProvider? time = null,
        string environment = "Testing", Action<IServiceCollection>? services = null)
    {
        var app = new SluiceApplication(await Azurite.ConnectionStringAsync(), Azurite.UniqueName(), settings ?? new Dictionary<string, string?>(), time,
            environment, services);
        app.StartServer();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        app.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return app;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(_settings));
        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(Logs);
        });
        builder.ConfigureTestServices(services =>
        {
            if (Time is not null)
            {
                services.AddSingleton<TimeProvider>(Time);
            }
            _services?.Invoke(services);
        });
    }

    /// <summary>A plain HTTP client on the real socket.</summary>
    public HttpClient CreateHttpClient(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        }
        return client;
    }

    /// <summary>The official OpenAI .NET client, pointed at this gateway.</summary>
    public OpenAI.Chat.ChatClient OpenAIChat(string key, string model) =>
        new(model, new ApiKeyCredential(key), new OpenAI.OpenAIClientOptions { Endpoint = new Uri(BaseAddress, "v1/") });

    /// <summary>Creates an account through the same code the operator API uses; returns it with its Owner key.</summary>
    public async Task<(Account Account, string OwnerKey)> CreateAccountAsync(string name = "test")
    {
        var lifecycle = Services.GetRequiredService<AccountLifecycle>();
        var (account, key, error) = await lifecycle.CreateAsync(name, null, "test", null, CancellationToken.None);
        if (account is null)
        {
            throw new InvalidOperationException(error!.Message);
        }
        return (account, key!.Key);
    }
}
