using System.Diagnostics;
using Azure.Data.Tables;
using Sluice.Host.Dev;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Storage;

/// <summary>
/// Azurite ends with the process that started it, however that process ends: a test host or dev run that is killed
/// (SIGKILL: it runs no code), or that returns without disposing its <c>AzuriteProcess</c>, leaves no Azurite holding
/// ports and memory on the machine. Each test runs <c>Sluice.AzuriteParent</c>, which starts Azurite through
/// <c>AzuriteProcess</c> and never stops it, and then watches that Azurite by its pid.
/// </summary>
public sealed class AzuriteLifetimeTests
{
    /// <summary>Generous: Azurite stops within a second or two of losing its parent; this only bounds a failing run.</summary>
    private static readonly TimeSpan s_ends = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task KillingTheProcessThatStartedAzurite_EndsAzurite()
    {
        using var parent = StartParent("wait");
        var azurite = await AzuriteOf(parent);
        try
        {
            Assert.True(azurite.IsRunning, "Azurite should run while its parent does.");
            parent.Kill(); // SIGKILL: no finaliser, no ProcessExit handler, no dispose runs in the parent.
            await parent.WaitForExitAsync();
            await Eventually.Until(() => !azurite.IsRunning, s_ends);
        }
        finally
        {
            azurite.KillIfRunning();
        }
    }

    [Fact]
    public async Task AProcessThatEndsWithoutStoppingAzurite_TakesItsAzuriteWithIt()
    {
        using var parent = StartParent("exit");
        var azurite = await AzuriteOf(parent);
        try
        {
            await parent.WaitForExitAsync().WaitAsync(s_ends);
            Assert.Equal(0, parent.ExitCode);
            await Eventually.Until(() => !azurite.IsRunning, s_ends);
        }
        finally
        {
            azurite.KillIfRunning();
        }
    }

    /// <summary>Azurite saves a persistent store every 5 s; a write just before its parent was killed is kept only
    /// if Azurite is stopped (and saves), not killed in turn.</summary>
    [Fact]
    public async Task APersistentAzuriteWhoseParentIsKilled_KeepsItsLastWrites()
    {
        var location = Directory.CreateTempSubdirectory("sluice-azurite-").FullName;
        try
        {
            using (var parent = StartParent("wait", location))
            {
                var azurite = await AzuriteOf(parent);
                try
                {
                    await WriteAsync(await parent.StandardOutput.ReadLineAsync() ?? "");
                    parent.Kill();
                    await parent.WaitForExitAsync();
                    await Eventually.Until(() => !azurite.IsRunning, s_ends);
                }
                finally
                {
                    azurite.KillIfRunning();
                }
            }
            await AssertKeptAsync(location);
        }
        finally
        {
            Directory.Delete(location, recursive: true);
        }
    }

    [Fact]
    public async Task DisposingAPersistentAzurite_KeepsItsLastWrites()
    {
        var location = Directory.CreateTempSubdirectory("sluice-azurite-").FullName;
        try
        {
            await using (var azurite = await AzuriteProcess.StartAsync(location, tls: null, defaultPorts: false, CancellationToken.None))
            {
                await WriteAsync(azurite.ConnectionString);
            }
            await AssertKeptAsync(location);
        }
        finally
        {
            Directory.Delete(location, recursive: true);
        }
    }

    private static async Task WriteAsync(string connectionString)
    {
        var table = new TableClient(connectionString, "kept");
        await table.CreateAsync();
        await table.AddEntityAsync(new TableEntity("p", "r") { ["Value"] = "written last" });
    }

    private static async Task AssertKeptAsync(string location)
    {
        await using var azurite = await AzuriteProcess.StartAsync(location, tls: null, defaultPorts: false, CancellationToken.None);
        var kept = await new TableClient(azurite.ConnectionString, "kept").GetEntityIfExistsAsync<TableEntity>("p", "r");
        Assert.True(kept.HasValue, "The row written just before Azurite stopped was lost.");
        Assert.Equal("written last", kept.Value!["Value"]);
    }

    private static Process StartParent(string mode, string? location = null)
    {
        var start = new ProcessStartInfo(ProcessRun.Dotnet)
        {
            WorkingDirectory = AppContext.BaseDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Sluice.AzuriteParent.dll"));
        start.ArgumentList.Add(mode);
        if (location is not null)
        {
            start.ArgumentList.Add(location);
        }
        return Process.Start(start) ?? throw new InvalidOperationException("Sluice.AzuriteParent did not start.");
    }

    /// <summary>The Azurite the parent reports having started (the first start may install Azurite with npm).</summary>
    private static async Task<WatchedProcess> AzuriteOf(Process parent)
    {
        const string prefix = "azurite-pid ";
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        string? line;
        try
        {
            line = await parent.StandardOutput.ReadLineAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            parent.Kill(entireProcessTree: true);
            throw new TimeoutException("Sluice.AzuriteParent did not report an Azurite within 3 minutes.");
        }
        if (line is null || !line.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Sluice.AzuriteParent did not start Azurite: {line}\n{await parent.StandardError.ReadToEndAsync()}");
        }
        return new WatchedProcess(int.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A process that is not this one's child, watched by pid. Once its parent is gone nobody may reap it, so
    /// a zombie counts as ended; its start time guards against the pid being reused.</summary>
    private sealed class WatchedProcess(int pid)
    {
        private readonly DateTime _started = Process.GetProcessById(pid).StartTime;

        public bool IsRunning
        {
            get
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    return process.StartTime == _started && !IsZombie();
                }
                catch (ArgumentException)
                {
                    return false;
                }
                catch (InvalidOperationException)
                {
                    return false;
                }
            }
        }

        /// <summary>Only when a test failed: the Azurite was started (through the parent) by this test.</summary>
        public void KillIfRunning()
        {
            if (IsRunning)
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
        }

        private bool IsZombie()
        {
            if (!OperatingSystem.IsLinux())
            {
                return false;
            }
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ...": the state follows the last ')'.
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..] is ['Z' or 'X', ..];
            }
            catch (IOException)
            {
                return true;
            }
        }
    }
}
