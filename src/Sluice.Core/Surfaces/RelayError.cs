using Microsoft.AspNetCore.Http;
using Sluice.Wire;

namespace Sluice.Surfaces;

/// <summary>
/// How a relayed answer ended once its headers had gone out, in the manner of YARP's <c>ForwarderError</c> for a
/// response body: the status sent can no longer change, so the outcome is a value the flow records (the usage row's
/// status and error code) and logs, each case naming the party to blame. Failures before the headers are
/// <see cref="ApiError"/>s, answered in the caller's wire format.
/// </summary>
internal enum RelayError
{
    /// <summary>The whole answer reached the client.</summary>
    None,

    /// <summary>The client went away (or cancelled) while the answer was being relayed.</summary>
    ClientDisconnected,

    /// <summary>The upstream broke off mid-answer or sent what could not be read; the client's connection is aborted so
    /// a cut answer cannot pass for a complete one.</summary>
    UpstreamStreamBroken,

    /// <summary>The upstream reported a failure inside the stream (OpenAI's error chunk, Anthropic's <c>error</c> event,
    /// <c>response.failed</c>); the client got its surface's failure event. The row carries the upstream's own code.</summary>
    UpstreamFailed,
}

internal static class RelayErrors
{
    /// <summary>The status the usage row records: what was sent (200) for a complete answer, otherwise the status the
    /// answer would have had were the headers not gone (nginx's 499 for a client gone, 502 for an upstream at fault).</summary>
    public static int RowStatus(this RelayError error) => error switch
    {
        RelayError.None => StatusCodes.Status200OK,
        RelayError.ClientDisconnected => ApiError.StatusClientClosedRequest,
        RelayError.UpstreamStreamBroken or RelayError.UpstreamFailed => StatusCodes.Status502BadGateway,
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };

    /// <summary>The usage row's error code; null for a complete answer. An in-band failure's row carries the upstream's
    /// sanitised code instead, when it sent one.</summary>
    public static string? RowErrorCode(this RelayError error) => error switch
    {
        RelayError.None => null,
        RelayError.ClientDisconnected => "client_disconnected",
        RelayError.UpstreamStreamBroken => "upstream_stream_broken",
        RelayError.UpstreamFailed => "upstream_error",
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };
}
