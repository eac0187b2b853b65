using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

/// <summary>
/// Loaded by the runtime before the app's Main when <c>DOTNET_STARTUP_HOOKS</c> names this assembly. Every 100 ms it
/// writes one line of <c>name=value</c> pairs to the file <c>SLUICE_LOAD_PROBE_FILE</c> names: cumulative counters
/// (Sluice's <c>Sluice.Usage</c> meter, the runtime's <c>System.Runtime</c> meter) and GC pauses measured from the
/// runtime's own events (suspension begin to restart end), with their count, total and longest.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable("SLUICE_LOAD_PROBE_FILE") is not { Length: > 0 } file)
        {
            return;
        }
        Probe.Start(file);
    }
}

internal static class Probe
{
    private static readonly Dictionary<string, double> s_values = new(StringComparer.Ordinal);
    private static MeterListener? s_meters;
    private static GcPauses? s_gc;

    public static void Start(string file)
    {
        s_gc = new GcPauses();
        s_meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name is "Sluice.Usage" or "System.Runtime")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        s_meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Measure(i, v, tags));
        s_meters.SetMeasurementEventCallback<int>((i, v, tags, _) => Measure(i, v, tags));
        s_meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Measure(i, v, tags));
        s_meters.Start();
        new Thread(() => Loop(file)) { IsBackground = true, Name = "load-probe" }.Start();
    }

    private static void Measure(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var name = new StringBuilder(instrument.Name);
        foreach (var tag in tags)
        {
            if (tag.Key is "gc.heap.generation")
            {
                name.Append('.').Append(tag.Value);
            }
        }
        var key = name.ToString();
        lock (s_values)
        {
            // Counters and up-down counters report increments; observable instruments report the current value.
            s_values[key] = instrument.IsObservable ? value : s_values.GetValueOrDefault(key) + value;
        }
    }

    private static void Loop(string file)
    {
        // Per process: two processes given the same file (a second stack left running) must not rename each other's.
        var temp = file + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
        while (true)
        {
            Thread.Sleep(100);
            s_meters!.RecordObservableInstruments();
            var line = new StringBuilder();
            lock (s_values)
            {
                foreach (var (key, value) in s_values)
                {
                    line.Append(CultureInfo.InvariantCulture, $"{key}={value} ");
                }
            }
            // Whether the token estimator's vocabulary (o200k_base, about 40 MiB of managed heap) has been loaded: it is
            // loaded on first use (a stream cut off by its client), so a peak can be told with it from one without.
            var tokenizer = AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Microsoft.ML.Tokenizers.Data.O200kBase") ? 1 : 0;
            line.Append(CultureInfo.InvariantCulture, $"tokenizer.loaded={tokenizer} ");
            var gc = s_gc!;
            line.Append(CultureInfo.InvariantCulture,
                $"gc.pauses={gc.Count} gc.pause.total_ms={gc.TotalMs:F3} gc.pause.max_ms={gc.MaxMs:F3} gc.pauses.over_1ms={gc.Over1Ms} gc.pauses.over_5ms={gc.Over5Ms}");
            try
            {
                File.WriteAllText(temp, line.ToString());
                File.Move(temp, file, overwrite: true);
            }
            catch (IOException)
            {
                // A measuring aid never takes the measured process down; the next round writes again.
            }
            if (gc.Allocations is { } allocations)
            {
                string top;
                lock (allocations)
                {
                    top = string.Join('\n', allocations.OrderByDescending(p => p.Value).Take(40).Select(p => $"{p.Value / 1024 / 1024,8} MiB  {p.Key}"));
                }
                File.WriteAllText(file + ".alloc", top);
            }
        }
    }
}

/// <summary>The runtime's GC events (Informational, GC keyword): a pause runs from GCSuspendEEBegin to GCRestartEEEnd.</summary>
internal sealed class GcPauses : EventListener
{
    private DateTime _suspended;

    public long Count { get; private set; }
    public double TotalMs { get; private set; }
    public double MaxMs { get; private set; }
    public long Over1Ms { get; private set; }
    public long Over5Ms { get; private set; }

    /// <summary>With SLUICE_LOAD_PROBE_ALLOC=1: bytes allocated by type, sampled by the runtime's allocation ticks (one
    /// event per ~100 KB allocated, naming the type of the object that crossed the mark).</summary>
    public Dictionary<string, long>? Allocations { get; } =
        Environment.GetEnvironmentVariable("SLUICE_LOAD_PROBE_ALLOC") == "1" ? new(StringComparer.Ordinal) : null;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, Allocations is null ? EventLevel.Informational : EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (Allocations is not null && e.EventName is { } name && name.StartsWith("GCAllocationTick", StringComparison.Ordinal))
        {
            var type = e.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? e.Payload![t] as string ?? "?" : "?";
            var amount = e.PayloadNames!.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload![a], CultureInfo.InvariantCulture) : 100_000;
            lock (Allocations)
            {
                Allocations[type] = Allocations.GetValueOrDefault(type) + amount;
            }
            return;
        }
        switch (e.EventName)
        {
            case "GCSuspendEEBegin_V1":
                _suspended = e.TimeStamp;
                break;
            case "GCRestartEEEnd_V1" when _suspended != default:
                var ms = (e.TimeStamp - _suspended).TotalMilliseconds;
                _suspended = default;
                Count++;
                TotalMs += ms;
                MaxMs = Math.Max(MaxMs, ms);
                Over1Ms += ms > 1 ? 1 : 0;
                Over5Ms += ms > 5 ? 1 : 0;
                break;
        }
    }
}
