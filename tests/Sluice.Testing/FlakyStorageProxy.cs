using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Testing;

/// <summary>
/// A pass-through HTTP proxy in front of Azurite's table endpoint that loses replies: every
/// <see cref="LoseEveryNthBatch"/>-th table transaction is forwarded and committed, then the connection is cut
/// before the answer reaches the client. The client's retry then meets its own, already committed, writes: the
/// "retried write" that metering must count exactly once.
/// </summary>
public sealed partial class FlakyStorageProxy : Upstreams.FakeUpstreamServer
{
    private readonly HttpClient _client = new();
    private Uri _target = null!;
    private int _batches;

    public int LoseEveryNthBatch { get; set; } = 3;

    public int RepliesLost { get; private set; }

    /// <summary>The <c>User-Agent</c> of every request that came through (empty string when none was sent).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> UserAgents { get; } = new();

    /// <summary>Every request that came through, as <c>METHOD target</c> with the target URL-decoded, so tests can count
    /// the storage calls a piece of work makes.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Targets { get; } = new();

    /// <summary>A connection string to the shared Azurite whose table endpoint goes through a new proxy.</summary>
    public static async Task<(FlakyStorageProxy Proxy, string ConnectionString)> StartAsync()
    {
        var connection = await Azurite.ConnectionStringAsync();
        var table = TableEndpoint().Match(connection);
        var proxy = new FlakyStorageProxy { _target = new Uri(table.Groups["url"].Value) };
        await proxy.StartCoreAsync();
        var through = new Uri(proxy.Root, table.Groups["path"].Value).ToString().TrimEnd('/');
        return (proxy, connection.Replace(table.Groups["url"].Value, through, StringComparison.Ordinal));
    }

    protected override void Map(WebApplication app) => app.Run(ForwardAsync);

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        UserAgents.Enqueue(request.Headers.UserAgent.ToString());
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        // The raw target, not the decoded path: table keys carry escapes ('%25') that must reach Azurite unchanged.
        var rawTarget = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget;
        Targets.Enqueue(request.Method + " " + Uri.UnescapeDataString(rawTarget));
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_target.GetLeftPart(UriPartial.Authority) + rawTarget, UriKind.Absolute));
        if (body.Length > 0 || HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method))
        {
            message.Content = new ByteArrayContent(body.ToArray());
        }
        foreach (var (name, values) in request.Headers)
        {
            if (name is "Host" or "Content-Length" or "Transfer-Encoding")
            {
                continue;
            }
            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        using var response = await _client.SendAsync(message);
        var payload = await response.Content.ReadAsByteArrayAsync();
        if (request.Path.Value?.EndsWith("$batch", StringComparison.Ordinal) == true
            && Interlocked.Increment(ref _batches) % LoseEveryNthBatch == 0 && response.IsSuccessStatusCode)
        {
            RepliesLost++;
            context.Abort();
            return;
        }
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name is not ("Transfer-Encoding" or "Content-Length"))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }
        await context.Response.Body.WriteAsync(payload);
    }

    [GeneratedRegex(@"TableEndpoint=(?<url>http://[^/;]+(?<path>/[^;]*))")]
    private static partial Regex TableEndpoint();
}
