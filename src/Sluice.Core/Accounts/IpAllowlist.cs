using System.Net;
using System.Runtime.CompilerServices;

namespace Sluice.Accounts;

/// <summary>An account's allowed client networks (IPv4 and IPv6 CIDR). Empty allows every address.</summary>
internal static class IpAllowlist
{
    /// <summary>Parsed networks per stored list. Keyed by the list instance, which lives as long as the cached account
    /// it belongs to and is replaced, never changed, when the allowlist changes; so every request of an account with
    /// an allowlist does not parse up to 100 CIDRs again.</summary>
    private static readonly ConditionalWeakTable<IReadOnlyList<string>, IPNetwork[]> Networks = new();

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
        foreach (var network in Networks.GetValue(allowlist, ParseStored))
        {
            if (network.Contains(client))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Stored entries are normalised on write; one that does not parse allows nothing.</summary>
    private static IPNetwork[] ParseStored(IReadOnlyList<string> allowlist)
    {
        var networks = new List<IPNetwork>(allowlist.Count);
        foreach (var entry in allowlist)
        {
            if (IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
        }
        return [.. networks];
    }
}
