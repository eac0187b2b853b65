using Microsoft.AspNetCore.Http;

namespace Sluice.Wire;

/// <summary>
/// Reads a request body into one <see cref="BufferedBody"/>, refusing it with 413 as soon as it passes the limit. The
/// Functions worker's own Kestrel would answer 500 for an oversized body (its 30 MB default), so the gateway checks
/// Content-Length first and counts the bytes of a chunked body itself. With a <see cref="RequestBodyBudget"/>, a
/// body that does not fit in what all requests may hold together is refused with 503 before it is read (or as soon
/// as it outgrows its share). Everything the server reports while reading becomes an error value: broken framing
/// (400), a body arriving too slowly (408), a client gone (499, nothing to answer).
/// </summary>
internal static class RequestBody
{
    /// <summary>First buffer of a body of unknown length (chunked); it doubles as the body grows.</summary>
    private const int InitialChunkedCapacity = 16 * 1024;

    public static async Task<Outcome<BufferedBody>> ReadAsync(HttpRequest request, long limit, RequestBodyBudget? budget,
        CancellationToken cancellationToken)
    {
        var declared = request.ContentLength;
        if (declared > limit)
        {
            return ApiError.BodyTooLarge(limit);
        }
        // One spare byte past a declared length, so the read that finds the end needs no larger array.
        var body = BufferedBody.TryCreate(declared is > 0 ? (int)declared.Value + 1 : InitialChunkedCapacity, budget);
        if (body is null)
        {
            return ApiError.GatewayBusy();
        }
        try
        {
            while (body.Length <= limit)
            {
                if (body.IsFull && !body.TryGrow((int)Math.Min((long)body.Capacity * 2, limit + 1)))
                {
                    body.Dispose();
                    return ApiError.GatewayBusy();
                }
                var read = await request.Body.ReadAsync(body.Free, cancellationToken);
                if (read == 0)
                {
                    break;
                }
                body.Advance(read);
            }
        }
        catch (Exception e) when (e is BadHttpRequestException
            ? e is BadHttpRequestException { StatusCode: StatusCodes.Status400BadRequest } && (cancellationToken.IsCancellationRequested || declared is not null)
            : e is OperationCanceledException or IOException)
        {
            // The client hung up (a reset, or Kestrel's own abort when the connection closes, even half-way with a FIN).
            // A body of declared length is refused with 400 only for ending early, which only a closed connection does,
            // whether or not Kestrel's abort has reached the token yet. No one is left to answer.
            body.Dispose();
            return ApiError.ClientClosedRequest();
        }
        catch (BadHttpRequestException e)
        {
            // The server's own checks: its body limit (Kestrel counts chunk framing against it), malformed chunked
            // framing, a minimum data rate. Its messages are not repeated.
            body.Dispose();
            return e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => ApiError.BodyTooLarge(limit),
                StatusCodes.Status408RequestTimeout => ApiError.BodyTooSlow(),
                _ => ApiError.UnreadableBody(),
            };
        }
        catch
        {
            body.Dispose();
            throw;
        }
        if (body.Length > limit)
        {
            body.Dispose();
            return ApiError.BodyTooLarge(limit);
        }
        if (body.Length == 0)
        {
            body.Dispose();
            return ApiError.InvalidRequest("The request body is empty; send a JSON chat-completions request.");
        }
        if (budget is not null && !body.TryHold(RequestBodyBudget.WorkingSet(body.Span)))
        {
            body.Dispose();
            return ApiError.GatewayBusy();
        }
        return body;
    }
}
