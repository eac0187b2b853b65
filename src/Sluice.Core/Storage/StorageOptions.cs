using System.ComponentModel.DataAnnotations;
using Azure.Core;
using Azure.Core.Pipeline;
using Sluice.Stamp;

namespace Sluice.Storage;

/// <summary>
/// Where this stamp keeps customer data: one storage account in the stamp's region. Locally a connection string
/// to Azurite; in Azure the service URIs and the app's user-assigned identity (shared keys are off there).
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "Sluice:Storage";

    /// <summary>The Entra ID token audience of Azure Storage in the public cloud (the default).</summary>
    public const string PublicCloudAudience = "https://storage.azure.com";

    /// <summary>The audience in Azure operated by 21Vianet (China).</summary>
    public const string ChinaCloudAudience = "https://storage.azure.cn";

    /// <summary>The audience in Azure US Government.</summary>
    public const string USGovernmentCloudAudience = "https://storage.usgovcloudapi.net";

    /// <summary>Connection string (Azurite for local runs: <c>UseDevelopmentStorage=true</c>). When set it wins over the
    /// service URIs. Leave empty in Azure, where shared keys are switched off.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Table endpoint, e.g. <c>https://acct.table.core.windows.net</c>, used with a managed identity.</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>Blob endpoint, e.g. <c>https://acct.blob.core.windows.net</c>, used with a managed identity.</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>The audience every storage client (tables and blobs alike) asks its tokens for, as the scope
    /// <c>{Audience}/.default</c>. Set it to the cloud the storage account lives in; ignored with a connection string.</summary>
    [Required, AllowedValues(PublicCloudAudience, ChinaCloudAudience, USGovernmentCloudAudience,
        ErrorMessage = "Audience must be " + PublicCloudAudience + " (public cloud), " + ChinaCloudAudience + " (China) or "
            + USGovernmentCloudAudience + " (US Government).")]
    public string Audience { get; set; } = PublicCloudAudience;

    /// <summary>The credential used with the service URIs. Null (the default) is the stamp's managed identity
    /// (<see cref="StampOptions.CreateCredential"/>). Set in code, never from configuration: tests give a credential
    /// whose tokens the emulator accepts, so they run the same bearer-token path as Azure.</summary>
    public TokenCredential? Credential { get; set; }

    /// <summary>The HTTP transport of every storage client; null is the SDK's own. Set in code, never from
    /// configuration: tests pass one that trusts exactly the emulator's test certificate.</summary>
    public HttpPipelineTransport? Transport { get; set; }

    /// <summary>Prefix of every table name, so several stamps or test runs can share one emulator.</summary>
    [Required, RegularExpression("^[A-Za-z][A-Za-z0-9]{0,30}$")]
    public string TablePrefix { get; set; } = "sluice";

    /// <summary>Container of encrypted request/response payloads.</summary>
    [Required, RegularExpression("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")]
    public string PayloadContainer { get; set; } = "payloads";

    /// <summary>Container of the lease blobs that keep two purge runs from overlapping.</summary>
    [Required, RegularExpression("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")]
    public string LockContainer { get; set; } = "sluice-locks";

    /// <summary>Container of the encrypted key ring that protects dashboard sessions, shared by every instance.</summary>
    [Required, RegularExpression("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")]
    public string KeyRingContainer { get; set; } = "sluice-keyring";
}
