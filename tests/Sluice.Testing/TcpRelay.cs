using System.Net;
using System.Net.Sockets;

namespace Sluice.Testing;

/// <summary>
/// A loopback TCP port that relays every connection to another one byte for byte (TLS passes through untouched), and
/// that a test can take away: <see cref="Stop"/> closes the listener and every open connection, so the port refuses
/// connections as a stopped storage service does, and <see cref="Start"/> listens on the same port again.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly Lock _lock = new();
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;
    private CancellationTokenSource _stop = new();

    private TcpRelay(IPEndPoint target) => _target = target;

    public int Port { get; private set; }

    /// <summary>A relay on a free loopback port to <paramref name="target"/>'s host and port, listening.</summary>
    public static TcpRelay Start(Uri target)
    {
        var relay = new TcpRelay(new IPEndPoint(IPAddress.Parse(target.Host == "localhost" ? "127.0.0.1" : target.Host), target.Port));
        relay.Start();
        return relay;
    }

    /// <summary><paramref name="uri"/> with this relay's port in place of its own.</summary>
    public Uri Through(Uri uri) => new UriBuilder(uri) { Port = Port }.Uri;

    public void Start()
    {
        lock (_lock)
        {
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            _listener = listener;
            _stop = new CancellationTokenSource();
            _ = AcceptAsync(listener, _stop.Token);
        }
    }

    public void Stop()
    {
        lock (_lock)
        {
            _stop.Cancel();
            _listener?.Stop();
            _listener = null;
            foreach (var client in _open)
            {
                client.Dispose();
            }
            _open.Clear();
        }
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(stop);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = RelayAsync(inbound, stop);
        }
    }

    private async Task RelayAsync(TcpClient inbound, CancellationToken stop)
    {
        var outbound = new TcpClient();
        lock (_lock)
        {
            _open.Add(inbound);
            _open.Add(outbound);
        }
        try
        {
            await outbound.ConnectAsync(_target, stop);
            using var both = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var a = inbound.GetStream().CopyToAsync(outbound.GetStream(), both.Token);
            var b = outbound.GetStream().CopyToAsync(inbound.GetStream(), both.Token);
            await Task.WhenAny(a, b);
            await both.CancelAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_lock)
            {
                _open.Remove(inbound);
                _open.Remove(outbound);
            }
            inbound.Dispose();
            outbound.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}
