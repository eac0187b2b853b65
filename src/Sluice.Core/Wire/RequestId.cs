using System.Globalization;
using System.Security.Cryptography;

namespace Sluice.Wire;

/// <summary>
/// Sluice's request id, <c>req_</c> + 12 hex digits of Unix milliseconds + 16 random hex digits. The time inside it
/// locates the usage row (day partition, newest-first row key) and the payload blob from the id alone, so
/// <c>GET /v1/requests/{id}</c> is a point read, not a search.
/// </summary>
public readonly record struct RequestId(string Value, DateTimeOffset CreatedAt, ulong Random)
{
    private const string Prefix = "req_";
    private const int Length = 4 + 12 + 16;

    public static RequestId New(DateTimeOffset now)
    {
        var ms = now.ToUnixTimeMilliseconds();
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        var random = BitConverter.ToUInt64(bytes);
        return new RequestId(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{ms:x12}{random:x16}"), DateTimeOffset.FromUnixTimeMilliseconds(ms), random);
    }

    public static bool TryParse(string? value, out RequestId id)
    {
        id = default;
        if (value is not { Length: Length } || !value.StartsWith(Prefix, StringComparison.Ordinal)
            || !long.TryParse(value.AsSpan(4, 12), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var ms)
            || !ulong.TryParse(value.AsSpan(16, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var random)
            || value.AsSpan(4).ContainsAnyExcept(LowerHex.Digits))
        {
            return false;
        }
        id = new RequestId(value, DateTimeOffset.FromUnixTimeMilliseconds(ms), random);
        return true;
    }

    public override string ToString() => Value;
}
