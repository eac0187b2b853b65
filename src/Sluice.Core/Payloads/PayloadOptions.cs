namespace Sluice.Payloads;

/// <summary>
/// How opted-in content is encrypted (<c>Sluice__Payloads__*</c>). The master key wraps each account's data keys;
/// in Azure it is a Key Vault reference, locally dev mode generates one into <c>.local/</c>.
/// </summary>
/// <remarks>
/// Start-up validates the key only when one is configured (base64 of exactly 32 bytes; an unresolved Key Vault
/// reference fails here, at deploy time, rather than at the first opted-in request), and requires one only when new
/// accounts default to <c>retain_all</c>. A deployment whose accounts all stay <c>metadata_only</c> needs no key; if
/// content must then be written or read, that one operation fails closed with a clear error: content is never
/// stored unencrypted and a payload is never returned undecrypted.
/// </remarks>
public sealed class PayloadOptions
{
    public const string Section = "Sluice:Payloads";

    /// <summary>Base64 of 32 random bytes (AES-256). Never logged, never part of an error message.</summary>
    public string? MasterKey { get; set; }

    /// <summary>How long an instance keeps an unwrapped data key in memory. Erasing an account's content drops its
    /// keys at once on the instance that erased; other instances may encrypt with a destroyed key for up to this
    /// long, and those blobs can never be read (the purge removes them).</summary>
    public TimeSpan DataKeyCacheTtl { get; set; } = TimeSpan.FromMinutes(1);
}
