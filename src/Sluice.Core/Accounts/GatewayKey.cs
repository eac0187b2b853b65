using System.Security.Cryptography;
using System.Text;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>
/// The gateway key format: <c>sk-sluice-{region}-{43 characters}</c>, 256 random bits in URL-safe base64 behind
/// a visible prefix that names the data region. The region lets a stamp answer a key of another region with a
/// helpful 401 without any lookup that crosses regions.
/// </summary>
public static class GatewayKey
{
    private const string Prefix = "sk-sluice-";

    public static string Generate(string region)
    {
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Prefix}{region}-{secret}";
    }

    /// <summary>Lowercase hex SHA-256 of the whole key: the only form in which a key is stored.</summary>
    public static string Hash(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        var bytes = Encoding.UTF8.GetBytes(key);
        SHA256.HashData(bytes, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The region label in a key's prefix, or null if the key is not of Sluice's format.</summary>
    public static string? RegionOf(string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var rest = key.AsSpan(Prefix.Length);
        var dash = rest.IndexOf('-');
        return dash is >= 2 and <= 16 && rest.Length - dash - 1 >= 43 ? rest[..dash].ToString() : null;
    }

    public static string HintOf(string key, string region) => $"{Prefix}{region}-…{key[^4..]}";

    public static string NewKeyId() => "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static bool IsValidKeyId(string? id) =>
        id is { Length: 20 } && id.StartsWith("key_", StringComparison.Ordinal) && !id.AsSpan(4).ContainsAnyExcept(LowerHex.Digits);

}
