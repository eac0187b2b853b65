using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Testing.Upstreams;

/// <summary>A request a fake upstream received, kept so tests can check what the gateway sent.</summary>
public sealed record RecordedRequest(string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>A Kestrel server on a free loopback port; the fake upstreams build on it. A fixture, not a mock:
/// it speaks HTTP on a real socket, so streaming, cancellation and connection errors behave as in production.</summary>
public abstract class FakeUpstreamServer : IAsyncDisposable
{
    private WebApplication? _app;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public int Calls => Requests.Count;

    private int _aborted;
    private readonly TaskCompletionSource _firstAbort = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Requests whose connection was aborted before the fake finished answering (e.g. the gateway cancelled
    /// its upstream call because its own client went away).</summary>
    public int AbortedCalls => Volatile.Read(ref _aborted);

    /// <summary>Completes when the first request is aborted, or fails the test's wait after <paramref name="timeout"/>.</summary>
    public Task WaitForAbortAsync(TimeSpan timeout) => _firstAbort.Task.WaitAsync(timeout);

    public Uri Root { get; private set; } = null!;

    /// <summary>Starts listening; over HTTPS with <paramref name="certificate"/> when one is given.</summary>
    protected async Task StartCoreAsync(X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (certificate is null)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
            builder.WebHost.UseUrls("https://127.0.0.1:0");
        }
        _app = builder.Build();
        Map(_app);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Root = new Uri(address.TrimEnd('/') + "/");
    }

    protected abstract void Map(WebApplication app);

    protected async Task<RecordedRequest> RecordAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var recorded = new RecordedRequest(context.Request.Path, context.Request.QueryString.Value ?? "", headers, body);
        Requests.Enqueue(recorded);
        // Unregistered when the request ends: Kestrel may reuse the token's source for the connection's next request.
        context.Response.RegisterForDispose(context.RequestAborted.Register(() =>
        {
            Interlocked.Increment(ref _aborted);
            _firstAbort.TrySetResult();
        }));
        return recorded;
    }

    protected static async Task WriteEventAsync(HttpResponse response, string data, string? eventName = null)
    {
        var text = eventName is null ? $"data: {data}\n\n" : $"event: {eventName}\ndata: {data}\n\n";
        await response.WriteAsync(text);
        await response.Body.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}
