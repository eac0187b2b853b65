using System.Text.Json;

namespace Sluice.Wire;

/// <summary>The one way every API shape's request body becomes JSON: its text checked (UTF-8, no lone surrogates), then
/// parsed with a depth limit of 64, errors naming a position and never content.</summary>
internal static class RequestJson
{
    /// <summary>The body as a JSON document, or the 400 when it is not JSON. Does not take ownership of
    /// <paramref name="body"/>.</summary>
    public static Outcome<JsonDocument> Parse(BufferedBody body)
    {
        if (JsonText.Invalid(body.Span) is { } textError)
        {
            return textError;
        }
        try
        {
            return JsonDocument.Parse(body.Memory, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            // JsonException messages give a position (line, byte), never content.
            return ApiError.InvalidRequest($"The request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}).");
        }
    }
}
