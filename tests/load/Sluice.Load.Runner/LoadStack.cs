using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Azure.Data.Tables;
using Sluice.Host.Dev;

namespace Sluice.Load;

/// <summary>
/// Everything a load run talks to, on 127.0.0.1: Azurite (in memory), (a) the fake upstream, (b) the YARP hop to it,
/// and (c) Sluice's local host (Release, metering to Azurite) with a route <c>load-model</c> to the fake upstream.
/// Accounts and keys are created with the host's own operator CLI.
/// </summary>
internal sealed class LoadStack : IAsyncDisposable
{
    public const string Model = "load-model";
    public const string TablePrefix = "load";

    /// <summary>The Functions app's metering settings (Bicep sets them): each request waits for its row's commit, and the
    /// end of each answer is held until then.</summary>
    public static readonly IReadOnlyDictionary<string, string> FunctionsSetting = new Dictionary<string, string>
    {
        ["Sluice__Usage__WaitForCommit"] = "true", ["Sluice__Usage__GatherDelay"] = "00:00:00", ["Sluice__Usage__HoldAnswerEndUntilCommit"] = "true",
    };

    /// <summary>The fair-use pair's settings: off, and every limit on for every key and account (far above what the
    /// run sends, so nothing is refused: 1,000 requests/s is 60,000 a minute).</summary>
    public static readonly IReadOnlyDictionary<string, string> LimitsOff = new Dictionary<string, string> { ["Sluice__FairUse__Enabled"] = "false" };

    public static readonly IReadOnlyDictionary<string, string> LimitsOn = new Dictionary<string, string>
    {
        ["Sluice__FairUse__Enabled"] = "true",
        ["Sluice__FairUse__DefaultKeyDailyBudgetUsd"] = "1000000", ["Sluice__FairUse__DefaultKeyMonthlyBudgetUsd"] = "1000000",
        ["Sluice__FairUse__DefaultAccountDailyBudgetUsd"] = "1000000", ["Sluice__FairUse__DefaultAccountMonthlyBudgetUsd"] = "1000000",
        ["Sluice__FairUse__DefaultKeyRequestsPerMinute"] = "10000000", ["Sluice__FairUse__DefaultAccountRequestsPerMinute"] = "10000000",
        ["Sluice__FairUse__DefaultKeyTokensPerMinute"] = "2000000000", ["Sluice__FairUse__DefaultAccountTokensPerMinute"] = "2000000000",
    };

    private readonly AzuriteProcess _azurite;
    private readonly string _root;
    private readonly string _logs;
    private readonly Dictionary<string, string> _sluiceEnv;
    private readonly int _sluicePort;

    private LoadStack(AzuriteProcess azurite, string root, string logs, ChildProcess upstream, int upstreamPort,
        ChildProcess yarp, int yarpPort, int sluicePort)
    {
        _azurite = azurite;
        _root = root;
        _logs = logs;
        Upstream = upstream;
        Yarp = yarp;
        _sluicePort = sluicePort;
        Direct = new Uri($"http://127.0.0.1:{upstreamPort}/");
        YarpUrl = new Uri($"http://127.0.0.1:{yarpPort}/");
        SluiceUrl = new Uri($"http://127.0.0.1:{sluicePort}/");
        _sluiceEnv = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Sluice__Storage__ConnectionString"] = azurite.ConnectionString,
            ["Sluice__Storage__TablePrefix"] = TablePrefix,
            ["Sluice__Operator__Secret"] = "load-operator-secret",
            ["Sluice__Payloads__MasterKey"] = Convert.ToBase64String(new byte[32]),
            ["Sluice__Host__SchedulerEnabled"] = "false",
            ["Sluice__Routing__Routes__1__Model"] = Model,
            ["Sluice__Routing__Routes__1__Provider"] = "openai-compatible",
            ["Sluice__Routing__Routes__1__Id"] = "load",
            ["Sluice__Routing__Routes__1__BaseUrl"] = new Uri(Direct, "v1").ToString(),
            ["Sluice__Routing__Routes__1__InputPricePerMillion"] = "0.15",
            ["Sluice__Routing__Routes__1__OutputPricePerMillion"] = "0.6",
            ["Sluice__Routing__Routes__1__Region"] = "stamp",
            ["Sluice__Routing__Routes__1__Retention"] = "none",
            ["Sluice__Routing__Routes__1__Training"] = "no",
        };
        Usage = new TableServiceClient(azurite.ConnectionString).GetTableClient(TablePrefix + "usage");
    }

    public Uri Direct { get; }
    public Uri YarpUrl { get; }
    public Uri SluiceUrl { get; }
    public ChildProcess Upstream { get; }
    public ChildProcess Yarp { get; }
    public ChildProcess? Sluice { get; private set; }
    public TableClient Usage { get; }
    public int AzuritePid => _azurite.Pid;
    public string StorageConnectionString => _azurite.ConnectionString;

    private string SluiceDll => Path.Combine(_root, "src", "Sluice.Host", "bin", "Release", "net10.0", "Sluice.Host.dll");

    /// <summary>Starts Azurite, the fake upstream (<paramref name="upstreamArgs"/> set its latency) and the YARP hop.</summary>
    public static async Task<LoadStack> StartAsync(IEnumerable<string>? upstreamArgs = null)
    {
        var root = RepoRoot.Find();
        var logs = Path.Combine(root, ".local", "load");
        Directory.CreateDirectory(logs);
        var azurite = await AzuriteProcess.StartAsync(location: null);
        var upstreamPort = FreePort();
        var upstream = ChildProcess.StartDll("fake-upstream", AppDll(root, "Sluice.Load.FakeUpstream"),
            ["--urls", $"http://127.0.0.1:{upstreamPort}", .. upstreamArgs ?? []], null, logs);
        var yarpPort = FreePort();
        var yarp = ChildProcess.StartDll("yarp-hop", AppDll(root, "Sluice.Load.YarpHop"),
            ["--urls", $"http://127.0.0.1:{yarpPort}", "--Upstream", $"http://127.0.0.1:{upstreamPort}/"], null, logs, probe: true);
        var stack = new LoadStack(azurite, root, logs, upstream, upstreamPort, yarp, yarpPort, FreePort());
        await upstream.WaitForPortAsync(upstreamPort);
        await yarp.WaitForPortAsync(yarpPort);
        return stack;
    }

    /// <summary>Creates an account with the host's CLI (<c>accounts create</c>); returns its id and Owner key.</summary>
    public async Task<(string AccountId, string Key)> CreateAccountAsync(string name)
    {
        var json = await ChildProcess.RunDllAsync(SluiceDll, ["accounts", "create", "--name", name], _sluiceEnv);
        using var doc = JsonDocument.Parse(json);
        return (doc.RootElement.GetProperty("account").GetProperty("id").GetString()!,
            doc.RootElement.GetProperty("key").GetProperty("key").GetString()!);
    }

    /// <summary>Starts (or restarts) Sluice's local host and waits until it listens; <paramref name="settings"/> are
    /// added to its environment (e.g. the Functions app's metering settings).</summary>
    public async Task<ChildProcess> StartSluiceAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        if (Sluice is { HasExited: false })
        {
            // Stopped as a service manager would (SIGTERM): its queued rows are committed before it exits.
            Sluice.Terminate();
            await Sluice.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }
        if (Sluice is not null)
        {
            await Sluice.DisposeAsync();
        }
        var env = new Dictionary<string, string>(_sluiceEnv);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }
        Sluice = ChildProcess.StartDll("sluice", SluiceDll, ["--urls", SluiceUrl.ToString().TrimEnd('/')], env, _logs, probe: true);
        await Sluice.WaitForPortAsync(_sluicePort);
        return Sluice;
    }

    /// <summary>Starts another build of Sluice's local host (<paramref name="dll"/>) with the same settings, on a port of
    /// its own; the caller stops it.</summary>
    public async Task<(ChildProcess Process, Uri Url)> StartBuildAsync(string name, string dll, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var env = new Dictionary<string, string>(_sluiceEnv);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }
        var process = ChildProcess.StartDll(name, dll, ["--urls", url.ToString().TrimEnd('/')], env, _logs, probe: true);
        await process.WaitForPortAsync(port);
        return (process, url);
    }

    /// <summary>This checkout's Release build of the local host.</summary>
    public string ThisBuild => SluiceDll;

    private static string AppDll(string root, string project) =>
        Path.Combine(root, "tests", "load", project, "bin", "Release", "net10.0", project + ".dll");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (Sluice is not null)
        {
            await Sluice.DisposeAsync();
        }
        await Yarp.DisposeAsync();
        await Upstream.DisposeAsync();
        await _azurite.DisposeAsync();
    }
}
