using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Sluice.Payloads;

/// <summary>
/// The sealed payload format: <c>"SLP1" | key-id length | key id | nonce (12) | tag (16) | ciphertext</c>, AES-256-GCM
/// under the account's data key. The associated data binds the blob name, account id, request id and key id, so a
/// blob copied to another name, account or request fails authentication instead of decrypting as someone else's.
/// </summary>
internal static class PayloadCipher
{
    private static ReadOnlySpan<byte> Magic => "SLP1"u8;

    public static int HeaderSize(string keyId) => Magic.Length + 1 + keyId.Length + AesGcmLayout.NonceSize + AesGcmLayout.TagSize;

    /// <summary>Reserves the header in <paramref name="output"/>; the plaintext is written right after it.</summary>
    public static void WriteHeader(IBufferWriter<byte> output, string keyId)
    {
        var size = HeaderSize(keyId);
        var span = output.GetSpan(size)[..size];
        span.Clear();
        Magic.CopyTo(span);
        span[Magic.Length] = (byte)keyId.Length;
        Encoding.ASCII.GetBytes(keyId, span[(Magic.Length + 1)..]);
        output.Advance(size);
    }

    /// <summary>Encrypts in place everything after the header of <paramref name="payload"/>.</summary>
    public static void Seal(Span<byte> payload, DataKey key, string blobName, string accountId, string requestId)
    {
        var headerSize = HeaderSize(key.Id);
        var nonce = payload.Slice(headerSize - AesGcmLayout.NonceSize - AesGcmLayout.TagSize, AesGcmLayout.NonceSize);
        var tag = payload.Slice(headerSize - AesGcmLayout.TagSize, AesGcmLayout.TagSize);
        var body = payload[headerSize..];
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key.Key, AesGcmLayout.TagSize);
        aes.Encrypt(nonce, body, body, tag, Aad(blobName, accountId, requestId, key.Id));
    }

    /// <summary>The data-key id a sealed payload names, or null when it is not a sealed payload.</summary>
    public static string? KeyIdOf(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < Magic.Length + 1 || !payload.StartsWith(Magic))
        {
            return null;
        }
        var length = payload[Magic.Length];
        if (payload.Length < Magic.Length + 1 + length + AesGcmLayout.NonceSize + AesGcmLayout.TagSize)
        {
            return null;
        }
        var id = Encoding.ASCII.GetString(payload.Slice(Magic.Length + 1, length));
        return DataKeyRing.IsValidKeyId(id) ? id : null;
    }

    /// <summary>Decrypts in place; returns the plaintext's range, or null when authentication fails.</summary>
    public static Range? Open(Span<byte> payload, DataKey key, string blobName, string accountId, string requestId)
    {
        var headerSize = HeaderSize(key.Id);
        var nonce = payload.Slice(headerSize - AesGcmLayout.NonceSize - AesGcmLayout.TagSize, AesGcmLayout.NonceSize);
        var tag = payload.Slice(headerSize - AesGcmLayout.TagSize, AesGcmLayout.TagSize);
        var body = payload[headerSize..];
        try
        {
            using var aes = new AesGcm(key.Key, AesGcmLayout.TagSize);
            aes.Decrypt(nonce, body, tag, body, Aad(blobName, accountId, requestId, key.Id));
            return headerSize..payload.Length;
        }
        catch (AuthenticationTagMismatchException)
        {
            // AesGcm has already zeroed the output, so no unauthenticated plaintext is left behind.
            return null;
        }
    }

    private static byte[] Aad(string blobName, string accountId, string requestId, string keyId) =>
        Encoding.UTF8.GetBytes($"sluice-payload-v1\n{blobName}\n{accountId}\n{requestId}\n{keyId}");
}
