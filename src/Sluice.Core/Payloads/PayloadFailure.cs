using Sluice.Wire;

namespace Sluice.Payloads;

/// <summary>Why content could not be written or read. Every case fails closed: nothing is stored unencrypted and
/// nothing undecrypted is returned.</summary>
public enum PayloadFailure
{
    /// <summary>No master key configured.</summary>
    MasterKeyMissing,

    /// <summary>The configured master key is not base64 of 32 bytes.</summary>
    MasterKeyInvalid,

    /// <summary>The data key was wrapped by a different master key than the one configured now.</summary>
    MasterKeyMismatch,

    /// <summary>The data key was destroyed (content erased or crypto-shredded): the payload can never be read.</summary>
    DataKeyDestroyed,

    /// <summary>The stored data key does not unwrap: altered, or moved from another account.</summary>
    DataKeyCorrupt,

    /// <summary>The blob is not a Sluice payload, or it fails authentication: altered, truncated or swapped.</summary>
    PayloadTampered,

    /// <summary>The storage service failed.</summary>
    StorageUnavailable,
}

public static class PayloadFailures
{
    /// <summary>Short machine code for rows, logs and export lines.</summary>
    public static string ToCode(this PayloadFailure failure) => failure switch
    {
        PayloadFailure.MasterKeyMissing => "master_key_missing",
        PayloadFailure.MasterKeyInvalid => "master_key_invalid",
        PayloadFailure.MasterKeyMismatch => "master_key_mismatch",
        PayloadFailure.DataKeyDestroyed => "content_erased",
        PayloadFailure.DataKeyCorrupt => "data_key_corrupt",
        PayloadFailure.PayloadTampered => "payload_integrity_failed",
        PayloadFailure.StorageUnavailable => "storage_unavailable",
        _ => "payload_error",
    };

    /// <summary>The one mapping of a read failure to the wire. A server-side fault, not the caller's: 500/503.</summary>
    public static ApiError ToApiError(this PayloadFailure failure) => failure switch
    {
        PayloadFailure.MasterKeyMissing or PayloadFailure.MasterKeyInvalid => new ApiError(503, "api_error", failure.ToCode(),
            "Stored content cannot be decrypted: this deployment has no valid payload master key (Sluice:Payloads:MasterKey). Contact the operator."),
        PayloadFailure.MasterKeyMismatch => new ApiError(500, "api_error", failure.ToCode(),
            "Stored content cannot be decrypted: it was encrypted under a different master key than the one configured now. Contact the operator."),
        PayloadFailure.DataKeyCorrupt => new ApiError(500, "api_error", failure.ToCode(),
            "Stored content cannot be decrypted: its data key fails verification. Nothing was returned."),
        PayloadFailure.PayloadTampered => new ApiError(500, "api_error", failure.ToCode(),
            "Stored content failed its integrity check (altered, truncated or not this request's). Nothing was returned."),
        PayloadFailure.StorageUnavailable => new ApiError(503, "api_error", failure.ToCode(), "The storage service is unavailable; try again."),
        _ => new ApiError(500, "api_error", failure.ToCode(), "Stored content cannot be read."),
    };
}
