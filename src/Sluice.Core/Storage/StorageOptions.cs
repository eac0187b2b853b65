using System.ComponentModel.DataAnnotations;

namespace Sluice.Storage;

/// <summary>
/// Where this stamp keeps customer data: one storage account in the stamp's region. Locally a connection string
/// to Azurite; in Azure the service URIs and the app's user-assigned identity (shared keys are off there).
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "Sluice:Storage";

    /// <summary>Connection string with an account key (Azurite: <c>UseDevelopmentStorage=true</c>); usage transactions are
    /// signed with it, so a SAS-only string is refused at start. Leave empty in Azure.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Table endpoint, e.g. <c>https://acct.table.core.windows.net</c>, used with a managed identity.</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>Blob endpoint, e.g. <c>https://acct.blob.core.windows.net</c>, used with a managed identity.</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>Prefix of every table name, so several stamps or test runs can share one emulator.</summary>
    [Required, RegularExpression("^[A-Za-z][A-Za-z0-9]{0,30}$")]
    public string TablePrefix { get; set; } = "sluice";

    /// <summary>Container of encrypted request/response payloads.</summary>
    [Required, RegularExpression("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")]
    public string PayloadContainer { get; set; } = "payloads";

    /// <summary>Container of the lease blobs that keep two purge runs from overlapping.</summary>
    [Required, RegularExpression("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")]
    public string LockContainer { get; set; } = "sluice-locks";
}
