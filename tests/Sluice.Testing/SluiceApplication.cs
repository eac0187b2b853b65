using System.ClientModel;
using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Sluice.Accounts;
using Sluice.Storage;
using Sluice.Wire;

namespace Sluice.Testing;

/// <summary>
/// The local host under test, on Kestrel on a free loopback port, with its own tables and containers in the shared
/// Azurite, every log line captured, and optionally a <see cref="FakeTimeProvider"/>. Storage is reached as in Azure
/// (HTTPS, service URIs, bearer tokens; see <see cref="AzuriteAccess"/>), and disposing the app fails the test if any of
/// its storage requests was signed otherwise; <see cref="StartOnConnectionStringAsync"/> runs the local <c>dev</c> path.
/// </summary>
public sealed class SluiceApplication : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly AzuriteAccess? _access;
    private readonly string _environment;
    private readonly Action<IServiceCollection>? _services;
    private readonly StartFailure _startFailure = new();

    private SluiceApplication(AzuriteAccess? access, string? connectionString, string name, IDictionary<string, string?> settings, FakeTimeProvider? time,
        string environment, Action<IServiceCollection>? services)
    {
        _services = services;
        Name = name;
        Time = time;
        _access = access;
        _environment = environment;
        _settings = new Dictionary<string, string?>
        {
            // Empty wins over the host's appsettings.json (UseDevelopmentStorage=true), so the service URIs are used.
            ["Sluice:Storage:ConnectionString"] = connectionString ?? "",
            ["Sluice:Storage:TableServiceUri"] = access?.TableServiceUri.ToString(),
            ["Sluice:Storage:BlobServiceUri"] = access?.BlobServiceUri.ToString(),
            ["Sluice:Storage:TablePrefix"] = name,
            ["Sluice:Storage:PayloadContainer"] = name + "-payloads",
            ["Sluice:Storage:LockContainer"] = name + "-locks",
            ["Sluice:Storage:KeyRingContainer"] = name + "-keyring",
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
            // A free loopback port chosen by Kestrel at bind time. Not UseKestrel(0): that makes the factory rewrite
            // the server's addresses after Build(), racing Kestrel's own bind on the app's thread ("Addresses cannot
            // be modified after the server has started", dotnet/aspnetcore#67714).
            ["Urls"] = "http://127.0.0.1:0",
        };
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }
        UseKestrel();
    }

    public const string OperatorSecret = "test-operator-secret";

    /// <summary>The unique prefix of this app's tables and containers.</summary>
    public string Name { get; }

    public FakeTimeProvider? Time { get; }

    public LogCapture Logs { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public SluiceStorage Storage => Services.GetRequiredService<SluiceStorage>();

    /// <summary>Storage as this app reaches it (null on the connection-string path): its credential and every request.</summary>
    public AzuriteAccess? StorageAccess => _access;

    /// <summary>Starts the host on the Azure storage path: HTTPS, service URIs and a bearer-token credential.</summary>
    /// <param name="environment">The hosting environment; <c>Development</c> turns on what ASP.NET Core adds for it.</param>
    /// <param name="services">Changes to the app's services after its own (e.g. to start it without storage, or with a
    /// provider that fails on purpose).</param>
    public static async Task<SluiceApplication> StartAsync(IDictionary<string, string?>? settings = null, FakeTimeProvider? time = null,
        string environment = "Testing", Action<IServiceCollection>? services = null) =>
        Start(new SluiceApplication(await Azurite.AccessAsync(), null, Azurite.UniqueName(), settings ?? new Dictionary<string, string?>(), time,
            environment, services));

    /// <summary>Starts the host as <c>dev</c> runs it: a shared-key connection string to a plain-HTTP Azurite.</summary>
    public static async Task<SluiceApplication> StartOnConnectionStringAsync(IDictionary<string, string?>? settings = null, FakeTimeProvider? time = null) =>
        Start(new SluiceApplication(null, await Azurite.DevConnectionStringAsync(), Azurite.UniqueName(), settings ?? new Dictionary<string, string?>(), time,
            "Testing", null));

    private static SluiceApplication Start(SluiceApplication app)
    {
        try
        {
            app.StartServer();
        }
        catch
        {
            // The host is already gone (the app's RunAsync disposed it); only the storage access is left to release.
            app._access?.Dispose();
            throw;
        }
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
            logging.AddProvider(_startFailure);
        });
        builder.ConfigureTestServices(services =>
        {
            if (Time is not null)
            {
                services.AddSingleton<TimeProvider>(Time);
            }
            if (_access is not null)
            {
                // What Azure's managed identity is to the app; set in code, as no configuration can carry it.
                services.Configure<StorageOptions>(o =>
                {
                    o.Credential = _access.Credential;
                    o.Transport = _access.Transport;
                });
            }
            _services?.Invoke(services);
        });
    }

    /// <summary>Surfaces the app's own start failure, never the factory's secondary one. Program.Main runs on its own
    /// thread: when the host's start fails, <c>RunAsync</c> disposes the host, and if that happens before the factory's
    /// deferred host has asked the provider for the application lifetime, the factory throws
    /// <see cref="ObjectDisposedException"/> instead of the failure (dotnet/aspnetcore#33494; seen under load). The host
    /// logs the failure before it throws and disposes, so by the time the provider is disposed it is recorded here.</summary>
    protected override IHost CreateHost(IHostBuilder builder)
    {
        try
        {
            return base.CreateHost(builder);
        }
        catch (ObjectDisposedException) when (_startFailure.Exception is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
            throw;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_access is not null)
        {
            _access.Dispose();
            _access.AssertBearerOnly();
        }
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
        if (!(await lifecycle.CreateAsync(name, null, "test", null, CancellationToken.None)).TryGet(out var created, out var error))
        {
            throw new InvalidOperationException(error.Message);
        }
        return (created.Account, created.OwnerKey.Key);
    }

    /// <summary>The exception the host's start threw, from the event <c>Host.StartAsync</c> logs just before throwing it
    /// (options validated on start and hosted services alike).</summary>
    private sealed class StartFailure : ILoggerProvider, ILogger
    {
        private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";
        private Exception? _exception;

        public Exception? Exception => Volatile.Read(ref _exception);

        public ILogger CreateLogger(string categoryName) =>
            categoryName == HostCategory ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name == "HostedServiceStartupFaulted" && exception is not null)
            {
                Interlocked.CompareExchange(ref _exception, exception, null);
            }
        }

        public void Dispose()
        {
        }
    }
}
