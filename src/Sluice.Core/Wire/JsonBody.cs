using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Sluice.Wire;

/// <summary>Reads a small JSON body of the account and operator APIs: 413 past the limit, 400 when malformed.</summary>
internal static class JsonBody
{
    public const long DefaultLimit = 64 * 1024;

    public static async Task<Outcome<T>> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type, long limit = DefaultLimit)
        where T : class
    {
        if (!(await RequestBody.ReadAsync(context.Request, limit, budget: null, context.RequestAborted)).TryGet(out var body, out var error))
        {
            return error;
        }
        using (body)
        {
            if (JsonText.Invalid(body.Span) is { } textError)
            {
                return textError;
            }
            try
            {
                var value = JsonSerializer.Deserialize(body.Span, type);
                return value is null ? ApiError.InvalidRequest("The request body must be a JSON object.") : value;
            }
            catch (JsonException e)
            {
                // The message names the field path (e.g. "$.expires_at"), never its value; a path can hold a client's
                // key name, so it is echoed like any client value.
                var path = e.Path is null ? null : ApiError.Echo(e.Path);
                return ApiError.InvalidRequest($"The request body is not valid for this endpoint (at {path ?? "$"}).", path);
            }
        }
    }
}
