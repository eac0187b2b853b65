using System.Xml.Linq;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Storage;

namespace Sluice.SignIn.KeyRing;

/// <summary>
/// The data-protection key ring (the keys that protect session cookies, sign-in state and nonces, and anti-forgery
/// tokens) as one XML blob in the stamp's storage, so every Flex instance, and every restart, reads the same keys:
/// a session begun on one instance is valid on the next. Each key is encrypted before it gets here
/// (<see cref="KeyRingEncryptor"/>). Writes are optimistic (ETag), because two instances starting together may each
/// add a key; the loser re-reads and appends, and both keys stay valid.
/// </summary>
/// <remarks><see cref="IXmlRepository"/> is synchronous, so this uses the SDK's synchronous calls; the ring is read
/// once at start and then about once a day, not per request.</remarks>
internal sealed partial class BlobKeyRingRepository(IServiceProvider services, ILogger<BlobKeyRingRepository> logger) : IXmlRepository
{
    public const string BlobName = "data-protection/key-ring.xml";
    private const string RootName = "repository";
    private const int MaxWriteAttempts = 10;

    // Resolved on first use: Data Protection's options are built before start-up validation has run.
    private BlobContainerClient Container => services.GetRequiredService<SluiceStorage>().KeyRing;

    private BlobClient Blob => Container.GetBlobClient(BlobName);

    public IReadOnlyCollection<XElement> GetAllElements() => [.. Read().Document.Root!.Elements()];

    public void StoreElement(XElement element, string friendlyName)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (document, etag) = Read();
            document.Root!.Add(new XElement(element));
            var conditions = etag is { } current ? new BlobRequestConditions { IfMatch = current } : new BlobRequestConditions { IfNoneMatch = ETag.All };
            try
            {
                Blob.Upload(BinaryData.FromString(document.ToString(SaveOptions.DisableFormatting)),
                    new BlobUploadOptions { Conditions = conditions, HttpHeaders = new BlobHttpHeaders { ContentType = "application/xml" } });
                Log.Stored(logger, friendlyName);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode == BlobErrorCode.ContainerNotFound)
            {
                Container.CreateIfNotExists();
            }
            catch (RequestFailedException e) when ((e.Status == 412 || e.Status == 409) && attempt < MaxWriteAttempts)
            {
                // Another instance wrote the ring since it was read: read it again and append to that.
                Log.Contended(logger, attempt);
            }
        }
    }

    private (XDocument Document, ETag? ETag) Read()
    {
        try
        {
            var content = Blob.DownloadContent().Value;
            return (XDocument.Parse(content.Content.ToString()), content.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (new XDocument(new XElement(RootName)), null);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Stored session key {FriendlyName} in the key ring blob.")]
        public static partial void Stored(ILogger logger, string friendlyName);

        [LoggerMessage(2, LogLevel.Debug, "The key ring blob changed while a key was being added (attempt {Attempt}); retrying.")]
        public static partial void Contended(ILogger logger, int attempt);
    }
}
