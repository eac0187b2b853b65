using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Sluice.Proxy;

/// <summary>
/// Reads a request body into one pooled array, refusing it with 413 as soon as it passes the limit. The Functions
/// worker's own Kestrel would answer 500 for an oversized body (its 30 MB default), so the gateway checks
/// Content-Length first and counts the bytes of a chunked body itself.
/// </summary>
internal static class RequestBody
{
    public static async Task<(byte[]? Rented, int Length, ApiError? Error)> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        var declared = request.ContentLength;
        if (declared > limit)
        {
            return (null, 0, ApiError.BodyTooLarge(limit));
        }
        var buffer = ArrayPool<byte>.Shared.Rent(declared is > 0 ? (int)declared.Value + 1 : 16 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        break;
                    }
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > limit)
                {
                    break;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // The server's own limit tripped first (Kestrel counts chunk framing against it): the same refusal,
            // in the gateway's error shape rather than the server's empty 413 or an unhandled exception.
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0, ApiError.BodyTooLarge(limit));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        if (length > limit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0, ApiError.BodyTooLarge(limit));
        }
        if (length == 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0, ApiError.InvalidRequest("The request body is empty; send a JSON chat-completions request."));
        }
        return (buffer, length, null);
    }
}
