using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Storage;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests;

/// <summary><c>GET /health</c>: anonymous, says whether storage answers, and nothing about the deployment. The
/// Functions app's health function calls the same handler.</summary>
public sealed class HealthTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Health_IsAnonymous_AndSays200WhenTablesAndBlobsAnswer_WithNothingAboutTheDeployment()
    {
        using var client = _app.CreateHttpClient();

        using var response = await client.GetAsync("health");
        var (status, body) = (response.StatusCode, await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"status":"healthy","storage":{"tables":"reachable","blobs":"reachable"}}""", body);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.DoesNotContain("devstoreaccount1", body, StringComparison.Ordinal);
        Assert.DoesNotContain(_app.Name, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_Says503_WhenStorageDoesNotAnswer()
    {
        int closed;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            closed = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        // Storage is created at start, which a dead endpoint would fail; this app starts without that step.
        await using var app = await SluiceApplication.StartAsync(
            new Dictionary<string, string?>
            {
                ["Sluice:Storage:TableServiceUri"] = $"https://127.0.0.1:{closed}/devstoreaccount1",
                ["Sluice:Storage:BlobServiceUri"] = $"https://127.0.0.1:{closed}/devstoreaccount1",
            },
            services: services => services.Remove(services.Single(d => d.ImplementationType == typeof(StorageInitializer))));
        using var client = app.CreateHttpClient();

        using var response = await client.GetAsync("health");
        var (status, body) = (response.StatusCode, await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("""{"status":"unhealthy","storage":{"tables":"unreachable","blobs":"unreachable"}}""", body);
        Assert.DoesNotContain(closed.ToString(System.Globalization.CultureInfo.InvariantCulture), body, StringComparison.Ordinal);
    }
}
