using System.Security.Cryptography;
using System.Text;

namespace Sluice.Payloads;

/// <summary>
/// The deployment master key, parsed from <see cref="PayloadOptions.MasterKey"/>. It only wraps and unwraps data
/// keys. Its <see cref="Id"/> (an HMAC of a fixed label, not of any data) is stored beside each wrapped data key so
/// that a different key is reported as exactly that, instead of as a corrupt payload.
/// </summary>
public sealed class MasterKey
{
    public const int Length = 32;
    private static ReadOnlySpan<byte> IdLabel => "sluice-master-key-id-v1"u8;

    private readonly byte[] _key;

    private MasterKey(byte[] key)
    {
        _key = key;
        Id = Convert.ToHexStringLower(HMACSHA256.HashData(key, IdLabel))[..16];
    }

    public string Id { get; }

    /// <summary>Parses a configured value; the error names the setting and the rule, never the value.</summary>
    public static (MasterKey? Key, PayloadFailure? Failure, string? Error) Parse(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return (null, PayloadFailure.MasterKeyMissing,
                $"{PayloadOptions.Section}:MasterKey is not set, so content cannot be encrypted or decrypted on this deployment.");
        }
        var buffer = new byte[configured.Length];
        if (!Convert.TryFromBase64String(configured.Trim(), buffer, out var length))
        {
            return (null, PayloadFailure.MasterKeyInvalid,
                $"{PayloadOptions.Section}:MasterKey is not base64 (an unresolved Key Vault reference?); it must be base64 of {Length} random bytes.");
        }
        if (length != Length)
        {
            return (null, PayloadFailure.MasterKeyInvalid,
                $"{PayloadOptions.Section}:MasterKey decodes to {length} bytes; it must be base64 of exactly {Length} random bytes.");
        }
        return (new MasterKey(buffer[..Length]), null, null);
    }

    /// <summary>Wraps a data key: nonce | tag | ciphertext, bound to its account and id.</summary>
    public byte[] Wrap(ReadOnlySpan<byte> dataKey, string accountId, string keyId)
    {
        var wrapped = new byte[AesGcmLayout.NonceSize + AesGcmLayout.TagSize + dataKey.Length];
        var nonce = wrapped.AsSpan(0, AesGcmLayout.NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, AesGcmLayout.TagSize);
        aes.Encrypt(nonce, dataKey, wrapped.AsSpan(AesGcmLayout.NonceSize + AesGcmLayout.TagSize),
            wrapped.AsSpan(AesGcmLayout.NonceSize, AesGcmLayout.TagSize), Aad(accountId, keyId));
        return wrapped;
    }

    /// <summary>Unwraps a data key, or null when the wrapped bytes were altered or belong to another account or id.</summary>
    public byte[]? Unwrap(ReadOnlySpan<byte> wrapped, string accountId, string keyId)
    {
        if (wrapped.Length != AesGcmLayout.NonceSize + AesGcmLayout.TagSize + Length)
        {
            return null;
        }
        var key = new byte[Length];
        try
        {
            using var aes = new AesGcm(_key, AesGcmLayout.TagSize);
            aes.Decrypt(wrapped[..AesGcmLayout.NonceSize], wrapped[(AesGcmLayout.NonceSize + AesGcmLayout.TagSize)..],
                wrapped.Slice(AesGcmLayout.NonceSize, AesGcmLayout.TagSize), key, Aad(accountId, keyId));
            return key;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private static byte[] Aad(string accountId, string keyId) => Encoding.UTF8.GetBytes($"sluice-data-key-v1\n{accountId}\n{keyId}");
}

/// <summary>AES-GCM sizes used throughout: a 96-bit random nonce (NIST SP 800-38D §8.2.2) and a full 128-bit tag.</summary>
internal static class AesGcmLayout
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
}
