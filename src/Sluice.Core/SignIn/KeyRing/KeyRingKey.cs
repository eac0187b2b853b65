using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Sluice.Payloads;

namespace Sluice.SignIn.KeyRing;

/// <summary>
/// The key that encrypts the session key ring at rest: derived from the deployment master key
/// (<see cref="PayloadOptions.MasterKey"/>, a Key Vault reference in Azure) with HKDF-SHA256 and a label of its own
/// (RFC 5869 §3.2: distinct <c>info</c> gives independent keys), so no second secret has to be provisioned and
/// nothing in storage can unlock the ring by itself.
/// </summary>
internal sealed class KeyRingKey
{
    public const int Length = 32;
    private static ReadOnlySpan<byte> DerivationLabel => "sluice-session-key-ring-v1"u8;
    private static ReadOnlySpan<byte> IdLabel => "sluice-session-key-ring-id-v1"u8;
    private static readonly byte[] s_associatedData = Encoding.UTF8.GetBytes("sluice-session-key-ring-v1");

    // Derived on first use, not at construction: Data Protection's options are built early, and start-up validation
    // (which names an unresolved Key Vault reference) must run before anything reads the master key.
    private readonly Lazy<(byte[]? Key, string Id, string? Error)> _derived;

    public KeyRingKey(IOptions<PayloadOptions> payloads) => _derived = new(() => Derive(payloads.Value.MasterKey));

    private static (byte[]?, string, string?) Derive(string? configured)
    {
        var (_, _, error) = MasterKey.Parse(configured);
        if (error is not null)
        {
            return (null, "none", $"Sign-in sessions need {PayloadOptions.Section}:MasterKey (the session key ring is encrypted with a key derived from it): {error}");
        }
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Convert.FromBase64String(configured!.Trim()), Length, salt: [], info: DerivationLabel.ToArray());
        return (key, Convert.ToHexStringLower(HMACSHA256.HashData(key, IdLabel))[..16], null);
    }

    /// <summary>Identifies the key (not the data): stored beside each encrypted element so that a ring encrypted
    /// under another master key is reported as exactly that.</summary>
    public string Id => _derived.Value.Id;

    /// <summary>nonce | tag | ciphertext.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext)
    {
        var key = Require();
        var sealedBytes = new byte[AesGcmLayout.NonceSize + AesGcmLayout.TagSize + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, AesGcmLayout.NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, AesGcmLayout.TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(AesGcmLayout.NonceSize + AesGcmLayout.TagSize),
            sealedBytes.AsSpan(AesGcmLayout.NonceSize, AesGcmLayout.TagSize), s_associatedData);
        return sealedBytes;
    }

    /// <summary>The plaintext, or a <see cref="CryptographicException"/> when the bytes were altered.</summary>
    public byte[] Open(ReadOnlySpan<byte> sealedBytes)
    {
        var key = Require();
        if (sealedBytes.Length < AesGcmLayout.NonceSize + AesGcmLayout.TagSize)
        {
            throw new CryptographicException("An encrypted session key is truncated.");
        }
        var plaintext = new byte[sealedBytes.Length - AesGcmLayout.NonceSize - AesGcmLayout.TagSize];
        using var aes = new AesGcm(key, AesGcmLayout.TagSize);
        aes.Decrypt(sealedBytes[..AesGcmLayout.NonceSize], sealedBytes[(AesGcmLayout.NonceSize + AesGcmLayout.TagSize)..],
            sealedBytes.Slice(AesGcmLayout.NonceSize, AesGcmLayout.TagSize), plaintext, s_associatedData);
        return plaintext;
    }

    private byte[] Require() => _derived.Value.Key ?? throw new InvalidOperationException(_derived.Value.Error);
}
