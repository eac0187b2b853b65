using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Sluice.Host.Dev;

/// <summary>
/// Runs Azurite, the real Table and Blob service for local runs and tests, from the repository's own npm
/// dependency (installed on first use with <c>npm ci</c>, so nothing needs installing by hand). Telemetry is off, and
/// strict mode is on (no <c>--loose</c>): a header or parameter Azurite does not support fails the request, as the
/// service would, instead of being ignored.
/// </summary>
public sealed partial class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account.</summary>
    private const string DevAccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development account key; public, documented, and only ever valid on loopback.</summary>
    private const string DevAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>
    /// A module node loads before Azurite: when Azurite's standard input ends it stops Azurite the way Ctrl+C does
    /// (SIGTERM: Azurite closes its servers and saves a persistent store, which otherwise loses up to 5 s of writes),
    /// and exits outright if that has not finished within 4 s. The kernel closes the pipe when the process holding
    /// its other end ends, however it ends (SIGKILL, a crash, a test host aborted, a return without dispose), so no
    /// Azurite outlives the test host, harness or dev run that started it; <see cref="DisposeAsync"/> closes it too.
    /// Output errors are ignored from then on: with the parent gone, Azurite's "closing" lines would otherwise fail
    /// on the broken pipe and crash it before it saved.
    /// </summary>
    private const string StopWhenStandardInputEnds =
        "data:text/javascript,process.stdin.on('end',()=>{" +
        "process.stdout.on('error',()=>{});process.stderr.on('error',()=>{});" +
        "setTimeout(()=>process.exit(0),4000).unref();" +
        "process.kill(process.pid,'SIGTERM')}).resume()";

    /// <summary>How long <see cref="DisposeAsync"/> waits for Azurite to stop before killing it.</summary>
    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(10);

    private readonly Process _process;

    private AzuriteProcess(Process process, int blobPort, int tablePort, bool https)
    {
        _process = process;
        BlobPort = blobPort;
        TablePort = tablePort;
        var scheme = https ? "https" : "http";
        BlobServiceUri = new Uri($"{scheme}://127.0.0.1:{blobPort}/{DevAccountName}");
        TableServiceUri = new Uri($"{scheme}://127.0.0.1:{tablePort}/{DevAccountName}");
    }

    /// <summary>The node process serving Azurite (the load harness reads its CPU time).</summary>
    public int Pid => _process.Id;

    public int BlobPort { get; }
    public int TablePort { get; }

    /// <summary>The Blob endpoint, path-style (<c>…/devstoreaccount1</c>), for clients given a credential.</summary>
    public Uri BlobServiceUri { get; }

    /// <summary>The Table endpoint, path-style, for clients given a credential.</summary>
    public Uri TableServiceUri { get; }

    /// <summary>A shared-key connection string to this instance: the local <c>dev</c> path.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol={BlobServiceUri.Scheme};AccountName={DevAccountName};AccountKey={DevAccountKey};" +
        $"BlobEndpoint={BlobServiceUri};TableEndpoint={TableServiceUri};";

    /// <summary>Starts Azurite. With <paramref name="location"/> it persists there on the default ports (10000-10002);
    /// without, it keeps everything in memory on free ports (tests). With <paramref name="tls"/> it serves HTTPS and
    /// accepts Entra ID bearer tokens (<c>--oauth basic</c>), the way Azure storage is reached with a managed identity.</summary>
    public static Task<AzuriteProcess> StartAsync(string? location, AzuriteTls? tls = null, CancellationToken cancellationToken = default) =>
        StartAsync(location, tls, defaultPorts: location is not null, cancellationToken);

    /// <summary>Starts Azurite; a persistent one on free ports with <paramref name="defaultPorts"/> off (tests: the
    /// default ports may be a developer's own Azurite).</summary>
    public static async Task<AzuriteProcess> StartAsync(string? location, AzuriteTls? tls, bool defaultPorts, CancellationToken cancellationToken)
    {
        var root = RepoRoot.Find();
        var script = await EnsureInstalledAsync(root, cancellationToken);
        var args = new List<string> { "--import", StopWhenStandardInputEnds, script, "--skipApiVersionCheck", "--disableTelemetry" };
        if (tls is not null)
        {
            args.AddRange(["--oauth", "basic", "--cert", tls.CertificatePemPath, "--key", tls.KeyPemPath]);
        }
        if (location is null)
        {
            args.Add("--inMemoryPersistence");
        }
        else
        {
            Directory.CreateDirectory(location);
            args.AddRange(["--location", location]);
        }
        if (!defaultPorts)
        {
            args.AddRange(["--blobPort", "0", "--queuePort", "0", "--tablePort", "0"]);
        }
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        int? blob = null, table = null;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("Azurite exited during start:\n" + string.Join('\n', output)));
                return;
            }
            lock (output)
            {
                output.Add(e.Data);
            }
            var match = ListeningLine().Match(e.Data);
            if (match.Success)
            {
                var port = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
                if (match.Groups["service"].Value == "Blob") { blob = port; }
                if (match.Groups["service"].Value == "Table") { table = port; }
                if (blob is not null && table is not null)
                {
                    ready.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.Add(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new AzuriteProcess(process, blob!.Value, table!.Value, tls is not null);
    }

    /// <summary>Whether something already listens on Azurite's default ports (a developer's own Azurite).</summary>
    public static bool DefaultPortsInUse()
    {
        foreach (var port in (int[])[10000, 10002])
        {
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", port);
            }
            catch (SocketException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Installs the repository's pinned Azurite once (<c>npm ci</c>), under a file lock so parallel test
    /// processes do not install over each other. Returns the path of its entry script.</summary>
    private static async Task<string> EnsureInstalledAsync(string root, CancellationToken cancellationToken)
    {
        var script = Path.Combine(root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (File.Exists(script))
        {
            return script;
        }
        var lockDir = Path.Combine(root, ".local");
        Directory.CreateDirectory(lockDir);
        await using var gate = await AcquireLockAsync(Path.Combine(lockDir, "npm-install.lock"), cancellationToken);
        if (File.Exists(script))
        {
            return script;
        }
        var npm = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            WorkingDirectory = root,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in (string[])["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        {
            npm.ArgumentList.Add(a);
        }
        using var install = Process.Start(npm) ?? throw new InvalidOperationException("Could not run npm; install Node.js 20.6 or later.");
        var stdout = install.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = install.StandardError.ReadToEndAsync(cancellationToken);
        await install.WaitForExitAsync(cancellationToken);
        if (install.ExitCode != 0 || !File.Exists(script))
        {
            throw new InvalidOperationException($"npm ci failed ({install.ExitCode}):\n{await stdout}\n{await stderr}");
        }
        return script;
    }

    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at https?://[^:]+:(?<port>\d+)")]
    private static partial Regex ListeningLine();

    /// <summary>Stops Azurite as its parent's end would (its standard input closes, so it saves and exits), and kills
    /// it only if it has not stopped within <see cref="s_stopGrace"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var grace = new CancellationTokenSource(s_stopGrace);
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
    }
}

/// <summary>A PEM certificate and its unencrypted PEM private key for Azurite's HTTPS endpoints.</summary>
public sealed record AzuriteTls(string CertificatePemPath, string KeyPemPath);

/// <summary>Finds the repository root (where package.json pins Azurite), from the working directory or the binaries.</summary>
public static class RepoRoot
{
    public static string Find()
    {
        foreach (var start in (string[])[Directory.GetCurrentDirectory(), AppContext.BaseDirectory])
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var package = Path.Combine(dir.FullName, "package.json");
                if (File.Exists(package) && File.ReadAllText(package).Contains("\"sluice-dev-tools\"", StringComparison.Ordinal))
                {
                    return dir.FullName;
                }
            }
        }
        throw new InvalidOperationException("Run from inside the Sluice repository: its package.json pins the Azurite used for local runs.");
    }
}
