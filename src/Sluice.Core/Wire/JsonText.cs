using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Wire;

/// <summary>The text check every JSON request body passes before it is parsed.</summary>
internal static class JsonText
{
    /// <summary>
    /// JSON text is UTF-8 (RFC 8259), and a <c>\u</c> escape of half a surrogate pair encodes no character: either
    /// would make every later read of the string throw, so both are refused before the body is parsed. The escape
    /// check walks the body only when it holds a <c>\uD…</c> escape at all.
    /// </summary>
    public static ApiError? Invalid(ReadOnlySpan<byte> body)
    {
        if (!Utf8.IsValid(body))
        {
            return ApiError.InvalidRequest("The request body is not valid UTF-8.");
        }
        if (body.IndexOf("\\ud"u8) < 0 && body.IndexOf("\\uD"u8) < 0)
        {
            return null;
        }
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped
                    && HasLoneSurrogate(reader.ValueSpan))
                {
                    return ApiError.InvalidRequest(
                        "The request body escapes half of a UTF-16 surrogate pair (\\uD800-\\uDFFF without its other half), which is not text; JSON must be valid UTF-8.");
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON: the parse that follows reports it with its position.
        }
        return null;
    }

    /// <summary>Whether an escaped JSON string (already checked for syntax by the reader) holds an unpaired surrogate.</summary>
    private static bool HasLoneSurrogate(ReadOnlySpan<byte> escaped)
    {
        var pendingHigh = false;
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != (byte)'\\' || escaped[i + 1] != (byte)'u')
            {
                if (pendingHigh)
                {
                    return true;
                }
                // Skip the escaped character too, so an escaped backslash before "u" is never taken for an escape.
                i += escaped[i] == (byte)'\\' ? 1 : 0;
                continue;
            }
            // The reader has checked the escape: four hex digits follow.
            var unit = (char)ushort.Parse(escaped.Slice(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            i += 5;
            if (char.IsHighSurrogate(unit))
            {
                if (pendingHigh)
                {
                    return true;
                }
                pendingHigh = true;
            }
            else if (char.IsLowSurrogate(unit) != pendingHigh)
            {
                return true;
            }
            else
            {
                pendingHigh = false;
            }
        }
        return pendingHigh;
    }
}
