using System.ComponentModel.DataAnnotations;

namespace Sluice.Accounts;

/// <summary>Which client address to believe for IP allowlists and failed-authentication throttling
/// (<c>Sluice__Proxy__*</c>: the same section as the request path's body limits, so no setting changed its
/// name when the two were split).</summary>
public sealed class ForwardedForOptions
{
    public const string Section = "Sluice:Proxy";

    /// <summary>Believe <c>X-Forwarded-For</c> (true behind the Azure Functions front end).</summary>
    public bool TrustForwardedFor { get; set; }

    /// <summary>Trusted proxies in front of the app; the client's address is this many entries from the right.</summary>
    [Range(1, 10)] public int ForwardedHopCount { get; set; } = 1;
}
