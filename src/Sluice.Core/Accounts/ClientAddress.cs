using System.Net;
using Microsoft.AspNetCore.Http;

namespace Sluice.Accounts;

/// <summary>
/// The caller's address for IP allowlists and the audit log. <c>X-Forwarded-For</c> is believed only when the
/// deployment says it runs behind a trusted proxy (the Azure Functions front end appends the address it saw).
/// Then the entry that proxy appended, counted from the right, is used: entries to its left are whatever the
/// client chose to send and cannot be trusted.
/// </summary>
public static class ClientAddress
{
    public static IPAddress? Of(HttpContext context, ForwardedForOptions options)
    {
        if (options.TrustForwardedFor
            && context.Request.Headers.TryGetValue("X-Forwarded-For", out var values)
            && string.Join(',', values.ToArray()) is { Length: > 0 } joined)
        {
            var hops = joined.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var index = hops.Length - Math.Max(1, options.ForwardedHopCount);
            if (index >= 0 && TryParseHop(hops[index], out var forwarded))
            {
                return forwarded;
            }
            return null;
        }
        return context.Connection.RemoteIpAddress;
    }

    private static bool TryParseHop(string hop, out IPAddress? address)
    {
        // "1.2.3.4", "1.2.3.4:5678", "[2001:db8::1]:443" or "2001:db8::1"
        if (IPAddress.TryParse(hop, out address))
        {
            return true;
        }
        if (IPEndPoint.TryParse(hop, out var endpoint))
        {
            address = endpoint.Address;
            return true;
        }
        return false;
    }
}
