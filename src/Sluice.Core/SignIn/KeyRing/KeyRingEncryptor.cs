using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Sluice.SignIn.KeyRing;

/// <summary>
/// Encrypts each data-protection key before it is written to storage (AES-256-GCM under <see cref="KeyRingKey"/>).
/// Without it, the key ring blob would hold the keys that sign sessions in the clear, and anyone able to read the
/// storage account could mint a session.
/// </summary>
internal sealed class KeyRingEncryptor(KeyRingKey key) : IXmlEncryptor
{
    public const string ElementName = "sluiceEncryptedKey";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var element = new XElement(ElementName,
            new XAttribute("keyId", key.Id),
            new XAttribute("algorithm", "AES-256-GCM"),
            Convert.ToBase64String(key.Seal(plaintext)));
        return new EncryptedXmlInfo(element, typeof(KeyRingDecryptor));
    }
}

/// <summary>The reverse of <see cref="KeyRingEncryptor"/>. The data-protection stack creates it by type name from the
/// stored XML, with the application's services (hence the <see cref="IServiceProvider"/> constructor).</summary>
internal sealed class KeyRingDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        var key = (KeyRingKey?)services.GetService(typeof(KeyRingKey))
            ?? throw new InvalidOperationException("The session key ring decryptor needs Sluice's services.");
        var keyId = (string?)encryptedElement.Attribute("keyId");
        if (encryptedElement.Name != KeyRingEncryptor.ElementName || keyId is null)
        {
            throw new System.Security.Cryptography.CryptographicException("A session key in storage is not in Sluice's encrypted format.");
        }
        if (keyId != key.Id)
        {
            // A new master key: the old ring cannot be read; Data Protection then makes a new key, and people sign in again.
            throw new System.Security.Cryptography.CryptographicException(
                "A session key in storage was encrypted under another master key (Sluice:Payloads:MasterKey changed); it is ignored.");
        }
        var plaintext = key.Open(Convert.FromBase64String(encryptedElement.Value));
        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }
}
