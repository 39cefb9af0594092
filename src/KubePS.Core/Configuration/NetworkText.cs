using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text.RegularExpressions;

namespace KubePS.Core.Configuration;

/// <summary>
/// Parsing of the network values in a kubeadm configuration, with the rules kubeadm applies: CIDRs as Go's
/// net.ParseCIDR reads them (host bits allowed, the network is what counts), comma lists for dual-stack, the n-th
/// address of a subnet, host[:port] endpoints, RFC 1123 names.
/// </summary>
public static partial class NetworkText
{
    /// <summary>Parses one CIDR (<c>10.96.0.0/12</c>, <c>fd00::/108</c>); host bits are cleared as Go does.</summary>
    public static bool TryParseCidr(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string t = text.Trim();
        int slash = t.IndexOf('/');
        if (slash <= 0 || slash == t.Length - 1) return false;
        string addr = t[..slash], bits = t[(slash + 1)..];
        if (!IsStrictIp(addr, out var ip)) return false;
        if (!Regex.IsMatch(bits, "^[0-9]{1,3}$")) return false;
        int prefix = int.Parse(bits, CultureInfo.InvariantCulture);
        int max = ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (prefix > max) return false;
        network = new IPNetwork(Mask(ip, prefix), prefix);
        return true;
    }

    /// <summary>Parses a comma-separated CIDR list (dual-stack form); false if any entry is not a CIDR.</summary>
    public static bool TryParseCidrList(string? text, out IReadOnlyList<IPNetwork> networks)
    {
        var list = new List<IPNetwork>();
        networks = list;
        if (string.IsNullOrWhiteSpace(text)) return false;
        foreach (var part in text.Split(','))
        {
            if (!TryParseCidr(part, out var n)) return false;
            list.Add(n);
        }
        return true;
    }

    /// <summary>An IP address in the strict textual form (no IPv4 shorthand like <c>10.1</c>, no scope ids).</summary>
    public static bool IsStrictIp(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        if (string.IsNullOrWhiteSpace(text) || text.Contains('%')) return false;
        if (!IPAddress.TryParse(text, out var a)) return false;
        if (a.AddressFamily == AddressFamily.InterNetwork && !Regex.IsMatch(text, @"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")) return false;
        if (a.AddressFamily == AddressFamily.InterNetworkV6 && !text.Contains(':')) return false;
        address = a;
        return true;
    }

    /// <summary>Number of addresses in a network, as a big integer (IPv6 ranges exceed 64 bits).</summary>
    public static BigInteger Size(IPNetwork network)
    {
        int bits = (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128) - network.PrefixLength;
        return BigInteger.One << bits;
    }

    /// <summary>The address at <paramref name="index"/> from the network address (1 = first usable, kubeadm's GetIndexedIP).</summary>
    public static IPAddress IndexedAddress(IPNetwork network, int index)
    {
        if (index < 0 || index >= Size(network))
            throw new KubeException("Config.ServiceSubnetTooSmall",
                $"Subnet {network} has no address at index {index}; it holds {Size(network)} addresses.",
                KubeErrorCategory.InvalidArgument, network.ToString(), "Use a larger subnet.");
        byte[] bytes = network.BaseAddress.GetAddressBytes();
        var n = new BigInteger(bytes, isUnsigned: true, isBigEndian: true) + index;
        byte[] raw = n.ToByteArray(isUnsigned: true, isBigEndian: true);
        byte[] result = new byte[bytes.Length];
        Array.Copy(raw, 0, result, result.Length - raw.Length, raw.Length);
        return new IPAddress(result);
    }

    /// <summary>True when two networks share any address (same family only).</summary>
    public static bool Overlaps(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress));

    static IPAddress Mask(IPAddress ip, int prefix)
    {
        byte[] b = ip.GetAddressBytes();
        for (int i = 0; i < b.Length; i++)
        {
            int keep = Math.Clamp(prefix - i * 8, 0, 8);
            b[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPAddress(b);
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123Label();

    /// <summary>An RFC 1123 subdomain as Kubernetes checks it: lower-case letters, digits, '-' and '.', at most 253 characters.</summary>
    public static bool IsDns1123Subdomain(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 253 && Dns1123Subdomain().IsMatch(name);

    /// <summary>An RFC 1123 label: lower-case letters, digits and '-', at most 63 characters.</summary>
    public static bool IsDns1123Label(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 63 && Dns1123Label().IsMatch(name);

    /// <summary>A wildcard subdomain such as <c>*.example.com</c>.</summary>
    public static bool IsWildcardSubdomain(string? name) =>
        name is not null && name.StartsWith("*.", StringComparison.Ordinal) && IsDns1123Subdomain(name[2..]);

    /// <summary>
    /// Splits <c>host[:port]</c> as kubeadm's ParseHostPort does: an IP or RFC 1123 subdomain host, an optional port
    /// 1-65535, IPv6 in brackets when a port follows (a bare IPv6 address without port is accepted too).
    /// </summary>
    public static bool TryParseHostPort(string? endpoint, out string host, out int? port)
    {
        host = ""; port = null;
        if (string.IsNullOrWhiteSpace(endpoint)) return false;
        string e = endpoint.Trim();
        string h; string? p = null;
        if (e.StartsWith('['))
        {
            int close = e.IndexOf(']');
            if (close < 0) return false;
            h = e[1..close];
            string rest = e[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':') return false;
                p = rest[1..];
            }
            if (!IsStrictIp(h, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6) return false;
        }
        else if (e.Count(c => c == ':') > 1)
        {
            h = e;   // bare IPv6 address, no port
            if (!IsStrictIp(h, out _)) return false;
        }
        else
        {
            int colon = e.IndexOf(':');
            h = colon < 0 ? e : e[..colon];
            if (colon >= 0) p = e[(colon + 1)..];
            if (!IsStrictIp(h, out _) && !IsDns1123Subdomain(h)) return false;
        }
        if (p is not null)
        {
            if (!Regex.IsMatch(p, "^[0-9]{1,5}$")) return false;
            int n = int.Parse(p, CultureInfo.InvariantCulture);
            if (n < 1 || n > 65535) return false;
            port = n;
        }
        host = h;
        return true;
    }
}
