using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sluice.Wire;

namespace Sluice.Load;

/// <summary>One request as the client saw it: status (0 = no answer), time to the first body byte, time to the
/// last, bytes received and the gateway's request id.</summary>
internal readonly record struct Sample(int Status, double TtfbMs, double TotalMs, long Bytes, string? RequestId);

/// <summary>
/// The harness's own HTTP client, for what wrk cannot show: time to the first byte of a stream's body, an exact
/// count of requests with their ids (usage rows), and long streams read as they arrive.
/// </summary>
/// <param name="newConnectionEachRequest">Send <c>Connection: close</c>, so no request waits for the previous one's
/// server-side work on the same connection.</param>
internal sealed class LoadClient(Uri baseUrl, string key, bool newConnectionEachRequest = false) : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = 256,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        ActivityHeadersPropagator = null,
    })
    { Timeout = TimeSpan.FromMinutes(5) };

    public static byte[] Body(bool stream, int chunks, int chunkBytes = 0, string model = "load-model") => Encoding.UTF8.GetBytes(
        $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"max_tokens":{{chunks}}{{(chunkBytes > 0 ? $",\"x_chunk_bytes\":{chunkBytes}" : "")}},"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say something about gateways."}]}""");

    /// <summary>Sends <paramref name="total"/> requests over <paramref name="concurrency"/> workers; <paramref name="body"/>
    /// picks each request's body by its index.</summary>
    public async Task<Sample[]> RunAsync(int total, int concurrency, Func<int, byte[]> body)
    {
        var samples = new Sample[total];
        var next = -1;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                samples[i] = await SendAsync(body(i));
            }
        });
        await Task.WhenAll(workers);
        return samples;
    }

    public async Task<Sample> SendAsync(byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "v1/chat/completions"))
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.ConnectionClose = newConnectionEachRequest;
        var buffer = new byte[64 * 1024];
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var id = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.First() : null;
            await using var stream = await response.Content.ReadAsStreamAsync();
            var read = await stream.ReadAsync(buffer);
            var ttfb = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            long bytes = read;
            while (read > 0)
            {
                read = await stream.ReadAsync(buffer);
                bytes += read;
            }
            return new Sample((int)response.StatusCode, ttfb, Stopwatch.GetElapsedTime(started).TotalMilliseconds, bytes, id);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return new Sample(0, 0, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, null);
        }
    }

    public void Dispose() => _client.Dispose();
}

internal static class Stats
{
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
