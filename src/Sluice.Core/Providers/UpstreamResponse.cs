namespace Sluice.Providers;

/// <summary>
/// An upstream's answer, already in OpenAI's format: exactly one of <see cref="Json"/> (non-streaming success),
/// <see cref="Events"/> (streaming success) or <see cref="Error"/> is set. Disposing releases the connection.
/// </summary>
public sealed class UpstreamResponse : IAsyncDisposable
{
    private readonly IDisposable? _owner;

    private UpstreamResponse(int statusCode, IDisposable? owner)
    {
        StatusCode = statusCode;
        _owner = owner;
    }

    public int StatusCode { get; }

    /// <summary>The <c>chat.completion</c> JSON body, read as it arrives. Its length when known in advance.</summary>
    public Stream? Json { get; private init; }

    public long? JsonLength { get; private init; }

    /// <summary>The <c>chat.completion.chunk</c> events of a stream.</summary>
    public IChatEventStream? Events { get; private init; }

    public UpstreamError? Error { get; private init; }

    public static UpstreamResponse ForJson(Stream json, long? length, IDisposable? owner = null) =>
        new(200, owner) { Json = json, JsonLength = length };

    public static UpstreamResponse ForEvents(IChatEventStream events, IDisposable? owner = null) =>
        new(200, owner) { Events = events };

    public static UpstreamResponse ForError(UpstreamError error, IDisposable? owner = null) =>
        new(error.Status, owner) { Error = error };

    public async ValueTask DisposeAsync()
    {
        if (Events is not null)
        {
            await Events.DisposeAsync();
        }
        if (Json is not null)
        {
            await Json.DisposeAsync();
        }
        _owner?.Dispose();
    }
}

/// <summary>
/// An upstream's error, already as an OpenAI-style error body. The body goes back to the client that sent the
/// request and nowhere else: provider error bodies can echo the prompt, so it is never logged or stored.
/// <see cref="Code"/> is a sanitised identifier safe for the usage row; <see cref="RetryAfter"/> is how long the
/// upstream asked callers to wait, when it said.
/// </summary>
public sealed record UpstreamError(int Status, ReadOnlyMemory<byte> Body, string Code, TimeSpan? RetryAfter = null)
{
    /// <summary>Errors worth trying on another route: rate limits and server faults.</summary>
    public bool IsRetryable => Status is 429 or 408 || Status >= 500;
}

/// <summary>The events of a streamed completion in OpenAI's <c>chat.completion.chunk</c> format.</summary>
public interface IChatEventStream : IAsyncDisposable
{
    /// <summary>Advances to the next event. False at <c>[DONE]</c> or at the end of the upstream stream.</summary>
    ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken);

    /// <summary>The current event's data (one JSON object), valid until the next call to <see cref="MoveNextAsync"/>.</summary>
    ReadOnlyMemory<byte> Current { get; }

    /// <summary>True once the stream ended with <c>[DONE]</c> (or its provider's equivalent) rather than breaking off.</summary>
    bool Completed { get; }

    /// <summary>The current event exactly as the upstream framed it (its <c>event:</c>, <c>id:</c>, comments, every
    /// <c>data:</c> line, the blank line that ends it), for a pass-through relay to copy byte for byte; empty for
    /// streams the gateway writes itself (translated or local), whose events the relay frames. Valid until the next
    /// call to <see cref="MoveNextAsync"/>.</summary>
    ReadOnlyMemory<byte> RawEvent => default;
}
