using Microsoft.AspNetCore.Http;

namespace Sluice.Testing.Upstreams;

/// <summary>A fake provider whose answer is scripted per request with <see cref="FakeBehavior"/>; the OpenAI and
/// Anthropic fakes differ only in the wire format they answer in.</summary>
public abstract class ScriptedUpstream : FakeUpstreamServer
{
    public FakeBehavior Behavior { get; set; } = new();

    /// <summary>Per-call override: gets the 1-based call number; null means <see cref="Behavior"/>.</summary>
    public Func<int, RecordedRequest, FakeBehavior?>? Script { get; set; }

    /// <summary><c>http://127.0.0.1:port/v1/</c>, the BaseUrl a Sluice route uses (the Anthropic SDK takes <see cref="FakeUpstreamServer.Root"/>).</summary>
    public Uri BaseUrl => new(Root, "v1/");

    /// <summary>Records the request, picks its behaviour and waits out the behaviour's delay before any header.</summary>
    protected async Task<(RecordedRequest Request, FakeBehavior Behavior)> BeginAsync(HttpContext context)
    {
        var request = await RecordAsync(context);
        var behavior = Script?.Invoke(Calls, request) ?? Behavior;
        if (behavior.HeadersDelay > TimeSpan.Zero)
        {
            await Task.Delay(behavior.HeadersDelay, context.RequestAborted);
        }
        if (behavior.HoldHeadersUntil is { } release)
        {
            await release.WaitAsync(context.RequestAborted);
        }
        return (request, behavior);
    }
}
