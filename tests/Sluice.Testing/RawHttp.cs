using System.Net.Sockets;
using System.Text;

namespace Sluice.Testing;

/// <summary>
/// HTTP/1.1 written byte by byte on a plain socket, for what <see cref="HttpClient"/> will not send: broken chunked
/// framing, a client that hangs up at a chosen moment.
/// </summary>
public sealed class RawHttp : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private RawHttp(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public sealed record Response(int Status, IReadOnlyDictionary<string, string> Headers, string Body);

    public static async Task<RawHttp> ConnectAsync(Uri baseAddress)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(baseAddress.Host, baseAddress.Port);
        return new RawHttp(client);
    }

    /// <summary>The request line and headers of a POST, ending with the blank line; the body is written separately.</summary>
    public static byte[] PostHead(string path, string? key, params string[] headers)
    {
        var text = new StringBuilder($"POST /{path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        if (key is not null)
        {
            text.Append("Authorization: Bearer ").Append(key).Append("\r\n");
        }
        foreach (var header in headers)
        {
            text.Append(header).Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(text.Append("\r\n").ToString());
    }

    public async Task WriteAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public Task WriteAsync(string ascii) => WriteAsync(Encoding.ASCII.GetBytes(ascii));

    /// <summary>Hangs up at once with a reset, as a client process that dies does.</summary>
    public void Reset()
    {
        _client.LingerState = new LingerOption(true, 0);
        _client.Close();
    }

    /// <summary>Reads the response to the end of the connection (requests are sent with <c>Connection: close</c>).</summary>
    public async Task<Response> ReadResponseAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var all = new MemoryStream();
        try
        {
            await _stream.CopyToAsync(all, cts.Token);
        }
        catch (IOException)
        {
            // The server may reset after answering; what arrived is the answer.
        }
        var bytes = all.ToArray();
        var headEnd = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (headEnd < 0)
        {
            throw new InvalidDataException($"No complete response head in {bytes.Length} bytes.");
        }
        var lines = Encoding.ASCII.GetString(bytes, 0, headEnd).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        var body = bytes.AsSpan(headEnd + 4);
        var chunked = headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase);
        return new Response(status, headers, Encoding.UTF8.GetString(chunked ? Dechunk(body) : body));
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> body)
    {
        var result = new List<byte>();
        while (body.Length > 0)
        {
            var lineEnd = body.IndexOf("\r\n"u8);
            var size = Convert.ToInt32(Encoding.ASCII.GetString(body[..lineEnd]).Split(';')[0], 16);
            if (size == 0)
            {
                break;
            }
            result.AddRange(body.Slice(lineEnd + 2, size));
            body = body[(lineEnd + 2 + size + 2)..];
        }
        return [.. result];
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
