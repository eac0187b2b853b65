using System.ComponentModel.DataAnnotations;
using Azure.Core;
using Azure.Identity;

namespace Sluice.Stamp;

/// <summary>
/// What this deployment (a "stamp") is: the one data region whose accounts it serves. A stamp's app, storage
/// and keys live in one Azure region and know nothing of other stamps, so no code path can move data across.
/// </summary>
public sealed class StampOptions
{
    public const string Section = "Sluice";

    /// <summary>The data-region label (<c>us</c>, <c>eu</c>, …) recorded on every usage row, blob tag and export,
    /// and carried in the visible prefix of every gateway key this stamp issues.</summary>
    [Required, RegularExpression("^[a-z][a-z0-9]{1,15}$", ErrorMessage = "DataRegion must be 2-16 lowercase letters or digits, starting with a letter.")]
    public string DataRegion { get; set; } = "us";

    /// <summary>Client id of the app's user-assigned managed identity (storage, Key Vault, Azure OpenAI with Entra ID).
    /// Empty means the system-assigned identity.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>The stamp's own identity. Deterministic on purpose: DefaultAzureCredential can fall through to
    /// another credential than the one the deployment granted roles to. Like the storage clients, it sends no SDK
    /// telemetry (User-Agent fingerprint).</summary>
    public TokenCredential CreateCredential()
    {
        var options = new ManagedIdentityCredentialOptions(string.IsNullOrEmpty(ManagedIdentityClientId)
            ? ManagedIdentityId.SystemAssigned
            : ManagedIdentityId.FromUserAssignedClientId(ManagedIdentityClientId));
        options.Diagnostics.IsTelemetryEnabled = false;
        return new ManagedIdentityCredential(options);
    }
}
