using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Sluice.Load;

/// <summary>A process the harness started (a .NET app run with <c>dotnet app.dll</c>), its output in a log file, and
/// what /proc says about its memory and CPU.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process, string name, string? probeFile)
    {
        _process = process;
        Name = name;
        ProbeFile = probeFile;
    }

    public string Name { get; }

    /// <summary>Where the probe loaded into this process (Sluice.Load.Probe) writes its counters; null without one.</summary>
    public string? ProbeFile { get; }

    /// <summary>The probe's latest counters (empty without a probe).</summary>
    public Probe Probe() => Sluice.Load.Probe.Read(ProbeFile);
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public static ChildProcess StartDll(string name, string dll, IEnumerable<string> args, IDictionary<string, string>? env, string logDirectory,
        bool probe = false)
    {
        // Run from the app's own folder: that is its content root, where its appsettings.json is read from.
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }
        string? probeFile = null;
        if (probe)
        {
            probeFile = Path.Combine(logDirectory, name + ".probe");
            File.Delete(probeFile);
            start.Environment["DOTNET_STARTUP_HOOKS"] = Sluice.Load.Probe.HookDll;
            start.Environment["SLUICE_LOAD_PROBE_FILE"] = probeFile;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name}.");
        var log = new StreamWriter(Path.Combine(logDirectory, name + ".log"), append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process, name, probeFile);
    }

    /// <summary>Runs a command to its end and returns its standard output (for the host's operator CLI).</summary>
    public static async Task<string> RunDllAsync(string dll, IEnumerable<string> args, IDictionary<string, string> env)
    {
        // Run from the app's own folder: that is its content root, where its appsettings.json is read from.
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env)
        {
            start.Environment[k] = v;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(dll)} {string.Join(' ', args)} failed: {await stderr}{await stdout}");
        }
        return await stdout;
    }

    public async Task WaitForPortAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited during start (code {_process.ExitCode}); see its log.");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Sends SIGKILL: the process ends at once, no shutdown code runs (a crash, an instance taken away).</summary>
    public void Kill() => _process.Kill();

    /// <summary>Sends SIGTERM, as a service manager stopping the process gracefully would.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public ProcStats Stats() => ProcStats.Read(Pid);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

/// <summary>Resident memory (now and peak since the last reset) and CPU time of a process, from /proc.</summary>
internal readonly record struct ProcStats(long RssKiB, long PeakRssKiB, long CpuTicks)
{
    /// <summary>Kernel clock ticks per second (USER_HZ), 100 on Linux.</summary>
    public const double TicksPerSecond = 100;

    public static ProcStats Read(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status");
        var (rss, hwm) = (StatusKiB(status, "VmRSS"), StatusKiB(status, "VmHWM"));
        // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return new ProcStats(rss, hwm, ticks);
    }

    /// <summary>A <c>Name:  123 kB</c> line of <c>/proc/{pid}/status</c>, in KiB; 0 when absent.</summary>
    public static long StatusKiB(string[] status, string name) =>
        status.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal)) is { } line
            ? long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)
            : 0;

    /// <summary>Resets the peak (VmHWM) to the current RSS, so a phase's own peak can be read.</summary>
    public static void ResetPeak(int pid) => File.WriteAllText($"/proc/{pid}/clear_refs", "5");
}

/// <summary>The machine's CPU time from /proc/stat (all cores, in ticks): busy and total.</summary>
internal readonly record struct MachineCpu(long BusyTicks, long TotalTicks)
{
    public static MachineCpu Read()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Take(8).Sum();
        return new MachineCpu(total - fields[3] - fields[4], total);
    }

    /// <summary>Busy share of all cores between two readings, in percent of one core (200 = both cores of two busy).</summary>
    public static double BusyPercentOfCore(MachineCpu before, MachineCpu after) =>
        (after.BusyTicks - before.BusyTicks) / (double)Math.Max(1, after.TotalTicks - before.TotalTicks) * Environment.ProcessorCount * 100;
}

/// <summary>
/// Samples a process's resident memory by kind every 50 ms and keeps the sample with the highest total, so a peak can
/// be split into anonymous memory (managed heap, native heaps, stacks, JIT data), file-backed pages (mapped
/// assemblies and native libraries, shared with every .NET process on the machine) and shared memory (the JIT's
/// double-mapped code). VmHWM gives the exact peak; this says what it was made of.
/// </summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private readonly string? _probeFile;

    private RssSampler(int pid, string? probeFile)
    {
        _pid = pid;
        _probeFile = probeFile;
        _loop = Task.Run(LoopAsync);
    }

    public RssKinds Peak { get; private set; }

    /// <summary>The most usage rows the gateway had queued at any sample (from its probe; 0 without one).</summary>
    public double MaxQueued { get; private set; }

    public static RssSampler Start(int pid, string? probeFile = null) => new(pid, probeFile);

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        try
        {
            do
            {
                var now = RssKinds.Read(_pid);
                if (now.TotalKiB > Peak.TotalKiB)
                {
                    Peak = now;
                }
                if (_probeFile is not null)
                {
                    MaxQueued = Math.Max(MaxQueued, Probe.Read(_probeFile).Value("sluice.usage.rows.queued"));
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

internal readonly record struct RssKinds(long TotalKiB, long AnonKiB, long FileKiB, long ShmemKiB)
{
    public static RssKinds Read(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status");
        return new RssKinds(ProcStats.StatusKiB(status, "VmRSS"), ProcStats.StatusKiB(status, "RssAnon"),
            ProcStats.StatusKiB(status, "RssFile"), ProcStats.StatusKiB(status, "RssShmem"));
    }
}

/// <summary>The machine's 1-minute load average (`uptime`'s first figure) when a run ended: other engineers' builds
/// share these cores, so every figure carries how busy the machine was.</summary>
internal static class LoadAverage
{
    public static double Now() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
}
