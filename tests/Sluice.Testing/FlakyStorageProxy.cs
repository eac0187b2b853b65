using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Testing;

/// <summary>
/// A pass-through HTTPS proxy in front of Azurite's table endpoint (same test certificate, so bearer tokens flow as
/// they would to Azure) that can misbehave on table transactions:
/// <list type="bullet">
/// <item>every <see cref="LoseEveryNthBatch"/>-th transaction is forwarded and committed, then the connection is cut
/// before the answer reaches the client. The client's retry then meets its own, already committed, writes: the
/// "retried write" that metering must count exactly once;</item>
/// <item><see cref="RefuseNextBatches"/> answers the next transactions with a status of its choice, unforwarded (a
/// storage account that is throttling or unavailable for a moment);</item>
/// <item><see cref="SpoilRow"/> makes storage itself refuse one row: it adds to that row's entity, in the transactions
/// that carry it, a string property longer than Azure (and Azurite) allow, so Azurite refuses the transaction at that
/// action; <see cref="RefuseWholeBatchesWith"/> answers such transactions with a status naming no action instead.</item>
/// </list>
/// </summary>
public sealed class FlakyStorageProxy : Upstreams.FakeUpstreamServer
{
    private readonly HttpClient _client = new(TestCertificate.CreateHandler());
    private Uri _target = null!;
    private int _batches;
    private int _refuse;
    private int _refuseStatus;
    private string? _spoiled;
    private int _spoilsLeft;
    private int _wholeStatus;

    public int LoseEveryNthBatch { get; set; } = 3;

    /// <summary>Awaited before a table transaction is forwarded: a test holds commits there to see what clients get
    /// while a row is not yet durable.</summary>
    public Func<Task>? BeforeBatch { get; set; }

    public int RepliesLost { get; private set; }

    /// <summary>Transactions answered by <see cref="RefuseNextBatches"/> so far.</summary>
    public int BatchesRefused { get; private set; }

    /// <summary>Transactions in which <see cref="SpoilRow"/>'s row was spoiled so far.</summary>
    public int RowsSpoiled { get; private set; }

    /// <summary>The <c>User-Agent</c> of every request that came through (empty string when none was sent).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> UserAgents { get; } = new();

    /// <summary>Every request that came through, as <c>METHOD target</c> with the target URL-decoded, so tests can count
    /// the storage calls a piece of work makes.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Targets { get; } = new();

    /// <summary>The proxy's Table service URI: Azurite's, with this proxy's scheme, host and port.</summary>
    public Uri TableServiceUri { get; private set; } = null!;

    /// <summary>A new proxy in front of the Table service of the tests' (identity-path) Azurite.</summary>
    public static async Task<FlakyStorageProxy> StartAsync()
    {
        var target = (await Azurite.TablesAsync()).Uri;
        var proxy = new FlakyStorageProxy { _target = target };
        await proxy.StartCoreAsync(TestCertificate.Certificate);
        proxy.TableServiceUri = new Uri(proxy.Root, target.AbsolutePath);
        return proxy;
    }

    /// <summary>Answers the next <paramref name="count"/> table transactions with <paramref name="status"/> without
    /// forwarding them.</summary>
    public void RefuseNextBatches(int count, int status)
    {
        _refuseStatus = status;
        Volatile.Write(ref _refuse, count);
    }

    /// <summary>Makes storage refuse the row of <paramref name="requestId"/> in the next <paramref name="times"/>
    /// transactions that carry it (see the class summary).</summary>
    public void SpoilRow(string requestId, int times)
    {
        _spoiled = requestId;
        _spoilsLeft = times;
    }

    /// <summary>Answers a transaction carrying <see cref="SpoilRow"/>'s row with <paramref name="status"/>, unforwarded,
    /// instead of spoiling it: a refusal that names no action.</summary>
    public void RefuseWholeBatchesWith(int status) => _wholeStatus = status;

    protected override void Map(WebApplication app) => app.Run(ForwardAsync);

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        if (BeforeBatch is { } hold && request.Path.Value?.EndsWith("$batch", StringComparison.Ordinal) == true)
        {
            await hold();
        }
        UserAgents.Enqueue(request.Headers.UserAgent.ToString());
        var isBatch = request.Path.Value?.EndsWith("$batch", StringComparison.Ordinal) == true;
        if (isBatch && Interlocked.Decrement(ref _refuse) >= 0)
        {
            BatchesRefused++;
            context.Response.StatusCode = _refuseStatus;
            return;
        }
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        if (isBatch && _spoiled is { } spoiled && _spoilsLeft > 0)
        {
            var text = System.Text.Encoding.UTF8.GetString(body.ToArray());
            var field = $"\"RequestId\":\"{spoiled}\"";
            if (text.Contains(field, StringComparison.Ordinal))
            {
                _spoilsLeft--;
                RowsSpoiled++;
                if (_wholeStatus != 0)
                {
                    context.Response.StatusCode = _wholeStatus;
                    return;
                }
                body.SetLength(0);
                body.Write(System.Text.Encoding.UTF8.GetBytes(text.Replace(field, field + ",\"Spoiled\":\"" + new string('x', 40_000) + "\"", StringComparison.Ordinal)));
            }
        }
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
        if (isBatch && Interlocked.Increment(ref _batches) % LoseEveryNthBatch == 0 && response.IsSuccessStatusCode)
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
}
