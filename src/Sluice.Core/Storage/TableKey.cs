using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sluice.Storage;

/// <summary>
/// PartitionKey and RowKey text made from values a client chose (a model name), within Azure Table's rules: at most
/// 1 KiB (512 UTF-16 code units), and none of <c>/ \ # ?</c> or the control characters U+0000–U+001F and
/// U+007F–U+009F. The encoding is reversible while it fits, and documented in <c>docs/storage.md</c>:
/// <list type="bullet">
/// <item>those characters, <c>%</c> itself and unpaired surrogates become <c>%XX</c> (code units up to U+00FF) or
/// <c>%uXXXX</c>; every other character stays, so an ordinary model name is its own key;</item>
/// <item>an encoding longer than the room given keeps its longest prefix that fits (never cutting an escape or a
/// surrogate pair), then <c>%~</c> and the first 16 hex digits of the SHA-256 of the value's UTF-16 code units. A bare
/// <c>%</c> is always escaped, so <c>%~</c> never occurs in a reversible key: such a key is never mistaken for one,
/// and distinct values keep distinct keys, whatever their length.</item>
/// </list>
/// </summary>
internal static class TableKey
{
    /// <summary>Azure's limit on each of PartitionKey and RowKey: 1 KiB of UTF-16.</summary>
    public const int MaxLength = 512;

    /// <summary>What separates a shortened key's prefix from its hash.</summary>
    public const string HashMarker = "%~";

    private const int HashDigits = 16;

    /// <summary>Whether <paramref name="c"/> may appear in a key as it is (surrogates are judged in pairs elsewhere).</summary>
    public static bool IsAllowed(char c) => c is not ('/' or '\\' or '#' or '?') && !char.IsControl(c);

    /// <summary>The key text for <paramref name="value"/>, at most <paramref name="maxLength"/> code units.</summary>
    public static string Encode(string value, int maxLength = MaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, HashMarker.Length + HashDigits + 1);
        if (value.Length <= maxLength && !NeedsEscape(value))
        {
            return value;
        }
        var encoded = new StringBuilder(Math.Min(value.Length + 16, maxLength + 8));
        // Where the encoding may be cut if it turns out too long: the end of the last whole character that still
        // leaves room for the marker and the hash.
        var room = maxLength - HashMarker.Length - HashDigits;
        var cut = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                encoded.Append(c).Append(value[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                encoded.Append("%u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else if (c == '%' || !IsAllowed(c))
            {
                // Every character escaped here is at most U+009F.
                encoded.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                encoded.Append(c);
            }
            if (encoded.Length <= room)
            {
                cut = encoded.Length;
            }
            if (encoded.Length > maxLength)
            {
                break;
            }
        }
        if (encoded.Length <= maxLength)
        {
            return encoded.ToString();
        }
        encoded.Length = cut;
        return encoded.Append(HashMarker).Append(Fingerprint(value)).ToString();
    }

    /// <summary>The value a key was encoded from; false for a shortened key (which holds only a prefix and a hash)
    /// or text that is not an encoding.</summary>
    public static bool TryDecode(string key, out string value)
    {
        value = "";
        var decoded = new StringBuilder(key.Length);
        for (var i = 0; i < key.Length; i++)
        {
            if (key[i] != '%')
            {
                decoded.Append(key[i]);
                continue;
            }
            var unicode = i + 1 < key.Length && key[i + 1] == 'u';
            var digits = unicode ? 4 : 2;
            var start = unicode ? i + 2 : i + 1;
            if (start + digits > key.Length
                || !int.TryParse(key.AsSpan(start, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
            {
                return false;
            }
            decoded.Append((char)code);
            i = start + digits - 1;
        }
        value = decoded.ToString();
        return true;
    }

    /// <summary>Why Azure would refuse <paramref name="key"/> as a PartitionKey or RowKey, or null.</summary>
    public static string? Violation(string key)
    {
        if (key.Length > MaxLength)
        {
            return $"a key of {key.Length} UTF-16 code units (at most {MaxLength})";
        }
        foreach (var c in key)
        {
            if (!IsAllowed(c))
            {
                return $"a key holding U+{(int)c:X4}, which keys may not hold";
            }
        }
        return null;
    }

    private static bool NeedsEscape(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%' || !IsAllowed(c))
            {
                return true;
            }
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return true;
                }
                i++;
            }
        }
        return false;
    }

    /// <summary>16 hex digits of the SHA-256 of the value's UTF-16 code units (which, unlike UTF-8, also represent
    /// unpaired surrogates exactly): what tells apart values shortened to the same prefix.</summary>
    public static string Fingerprint(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(value.AsSpan())))[..HashDigits];
}
