using System.Net;

namespace Sluice.Accounts;

/// <summary>An account's allowed client networks (IPv4 and IPv6 CIDR). Empty allows every address.</summary>
public static class IpAllowlist
{
    /// <summary>Parses and normalises a list; returns the entries that are not valid CIDR ranges or addresses.</summary>
    public static (IReadOnlyList<string> Normalised, IReadOnlyList<int> InvalidIndexes) Parse(IEnumerable<string> entries)
    {
        var normalised = new List<string>();
        var invalid = new List<int>();
        var i = 0;
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            if (!entry.Contains('/') && IPAddress.TryParse(entry, out var single))
            {
                entry = $"{single}/{(single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)}";
            }
            if (IPNetwork.TryParse(entry, out var network))
            {
                normalised.Add(network.ToString());
            }
            else
            {
                invalid.Add(i);
            }
            i++;
        }
        return (normalised, invalid);
    }

    public static bool Allows(IReadOnlyList<string> allowlist, IPAddress? client)
    {
        if (allowlist.Count == 0)
        {
            return true;
        }
        if (client is null)
        {
            return false;
        }
        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }
        foreach (var entry in allowlist)
        {
            if (IPNetwork.TryParse(entry, out var network) && network.Contains(client))
            {
                return true;
            }
        }
        return false;
    }
}
