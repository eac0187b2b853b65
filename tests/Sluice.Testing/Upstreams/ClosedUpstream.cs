using System.Net;
using System.Net.Sockets;

namespace Sluice.Testing.Upstreams;

/// <summary>An upstream nobody answers: a loopback port that was free a moment ago, so connecting is refused.</summary>
public static class ClosedUpstream
{
    /// <summary><c>http://127.0.0.1:port/v1/</c> on a port with no listener.</summary>
    public static Uri BaseUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/v1/");
    }
}
