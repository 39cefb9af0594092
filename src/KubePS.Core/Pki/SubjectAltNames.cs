using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace KubePS.Core.Pki;

/// <summary>The DNS names and IP addresses of a certificate's SubjectAltName, in the order they are encoded.</summary>
public sealed record SubjectAltNames(IReadOnlyList<string> DnsNames, IReadOnlyList<IPAddress> IPAddresses)
{
    public static readonly SubjectAltNames None = new([], []);

    public override string ToString() =>
        string.Join(", ", DnsNames.Select(d => "DNS:" + d).Concat(IPAddresses.Select(i => "IP:" + i)));
}

/// <summary>
/// kubeadm's SAN rules: which names each certificate gets, how user-supplied certSANs are classified (IP, RFC 1123
/// subdomain, wildcard subdomain, else dropped with a warning), and how the lists are de-duplicated and ordered
/// (per <see cref="Versioning.ReleaseInfo.SortedSans"/>).
/// </summary>
public static partial class SanRules
{
    const string Dns1123Label = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

    [GeneratedRegex("^" + Dns1123Label + "(\\." + Dns1123Label + ")*$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123SubdomainPattern();

    [GeneratedRegex("^\\*\\." + Dns1123Label + "(\\." + Dns1123Label + ")*$", RegexOptions.CultureInvariant)]
    private static partial Regex WildcardSubdomainPattern();

    [GeneratedRegex("^[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}$", RegexOptions.CultureInvariant)]
    private static partial Regex DottedQuadPattern();

    /// <summary>A lower-case RFC 1123 subdomain of at most 253 characters (Kubernetes' IsDNS1123Subdomain).</summary>
    public static bool IsDns1123Subdomain(string value) => value.Length <= 253 && Dns1123SubdomainPattern().IsMatch(value);

    /// <summary><c>*.</c> followed by an RFC 1123 subdomain, at most 253 characters (IsWildcardDNS1123Subdomain).</summary>
    public static bool IsWildcardDns1123Subdomain(string value) => value.Length <= 253 && WildcardSubdomainPattern().IsMatch(value);

    /// <summary>
    /// IP SANs given as text (New-KubeCertificate -IPAddress): every one must parse (<c>Pki.InvalidIPAddress</c>, naming
    /// the first that does not), so that a typo is refused rather than dropped.
    /// </summary>
    public static IReadOnlyList<IPAddress> ParseIPAddresses(IEnumerable<string> texts)
    {
        var ips = new List<IPAddress>();
        foreach (var text in texts)
        {
            if (!TryParseIP(text, out var ip))
                throw new KubeException("Pki.InvalidIPAddress", $"'{text}' is not an IP address.", KubeErrorCategory.InvalidArgument, text,
                    "Give addresses such as 10.0.0.11 or fd00::11; put host names in -DnsName.");
            ips.Add(ip);
        }
        return ips;
    }

    /// <summary>
    /// Parses an IP address the way Go's net.ParseIP (sloppy variant) does: a dotted quad of four decimal parts
    /// (leading zeros allowed, read as decimal) or an IPv6 address without a zone. IPv4-mapped IPv6 addresses
    /// become IPv4, as Go encodes them in 4 bytes.
    /// </summary>
    public static bool TryParseIP(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        if (string.IsNullOrEmpty(text)) return false;
        if (DottedQuadPattern().IsMatch(text))
        {
            var bytes = new byte[4];
            var parts = text.Split('.');
            for (int i = 0; i < 4; i++)
            {
                int v = int.Parse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture);
                if (v > 255) return false;
                bytes[i] = (byte)v;
            }
            address = new IPAddress(bytes);
            return true;
        }
        if (!text.Contains(':') || text.Contains('%') || text.Contains('[') || text.Contains('/')) return false;
        if (!IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6) return false;
        address = v6.IsIPv4MappedToIPv6 ? v6.MapToIPv4() : v6;
        return true;
    }

    /// <summary>
    /// The first usable address (index 1) of the first CIDR in a comma-separated service subnet list, e.g.
    /// <c>10.96.0.0/12</c> gives <c>10.96.0.1</c>: the API server's service VIP.
    /// </summary>
    public static IPAddress FirstServiceIP(string serviceSubnet) => IndexedServiceIP(serviceSubnet, 1);

    /// <summary>The address at <paramref name="index"/> of the first CIDR in the list (10 gives the DNS service IP).</summary>
    public static IPAddress IndexedServiceIP(string serviceSubnet, int index)
    {
        var first = (serviceSubnet ?? "").Split(',')[0].Trim();
        var slash = first.IndexOf('/');
        if (slash < 0 || !TryParseIP(first[..slash], out var ip) ||
            !int.TryParse(first[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) ||
            prefix > ip.GetAddressBytes().Length * 8)
            throw new KubeException("Pki.InvalidServiceSubnet",
                $"The service subnet '{serviceSubnet}' is not a CIDR (or comma-separated CIDRs); its first CIDR gives the API server's service IP.",
                KubeErrorCategory.InvalidArgument, serviceSubnet, "Give a CIDR such as 10.96.0.0/12 (kubeadm's default).");
        var bytes = ip.GetAddressBytes();
        int bits = bytes.Length * 8;
        if (bits - prefix < 32 && (1L << (bits - prefix)) <= index)
            throw new KubeException("Pki.InvalidServiceSubnet",
                $"The service subnet '{first}' is too small to hold address index {index}.",
                KubeErrorCategory.InvalidArgument, serviceSubnet, "Use a larger service subnet, such as 10.96.0.0/12.");
        for (int i = 0; i < bytes.Length; i++)
        {
            int keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        // add index (big-endian)
        long carry = index;
        for (int i = bytes.Length - 1; i >= 0 && carry > 0; i--)
        {
            long sum = bytes[i] + (carry & 0xFF);
            bytes[i] = (byte)sum;
            carry = (carry >> 8) + (sum >> 8);
        }
        return new IPAddress(bytes);
    }

    /// <summary>
    /// Splits a control-plane endpoint (<c>host</c>, <c>host:port</c>, <c>[v6]:port</c>) into host and port as kubeadm's
    /// ParseHostPort does: the host must be an IP or an RFC 1123 subdomain, the port 1-65535. Errors are
    /// <c>Pki.InvalidControlPlaneEndpoint</c>.
    /// </summary>
    public static (string Host, int? Port) ParseHostPort(string hostPort)
    {
        string host = hostPort;
        string? port = null;
        if (TrySplitHostPort(hostPort, out var h, out var p)) { host = h; port = p; }
        int? portNumber = null;
        if (!string.IsNullOrEmpty(port))
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > 65535)
                throw BadEndpoint(hostPort, $"port '{port}' must be a number from 1 to 65535");
            portNumber = n;
        }
        if (TryParseIP(host, out _) || IsDns1123Subdomain(host)) return (host, portNumber);
        throw BadEndpoint(hostPort, $"host '{host}' must be an IP address or a lower-case RFC 1123 DNS subdomain");
    }

    static KubeException BadEndpoint(string value, string why) =>
        new("Pki.InvalidControlPlaneEndpoint", $"The control-plane endpoint '{value}' is invalid: {why}.",
            KubeErrorCategory.InvalidArgument, value, "Give host or host:port, e.g. api.example.com:6443, 10.0.0.10 or [fd00::10]:6443.");

    // Go's net.SplitHostPort: "host:port" or "[host]:port"; fails when there is no port or too many colons.
    static bool TrySplitHostPort(string s, out string host, out string port)
    {
        host = port = "";
        int colon = s.LastIndexOf(':');
        if (colon < 0) return false;
        if (s.StartsWith('['))
        {
            int close = s.IndexOf(']');
            if (close < 0 || close + 1 != colon) return false;
            host = s[1..close];
        }
        else
        {
            host = s[..colon];
            if (host.Contains(':')) return false;
        }
        port = s[(colon + 1)..];
        return true;
    }

    /// <summary>
    /// Adds user SANs (certSANs) to the lists: an IP goes to <paramref name="ips"/>; an RFC 1123 subdomain or
    /// wildcard subdomain to <paramref name="dns"/>; anything else is dropped and reported to <paramref name="warn"/>.
    /// </summary>
    public static void AppendUserSans(List<string> dns, List<IPAddress> ips, IEnumerable<string>? sans, string certName, Action<string>? warn)
    {
        if (sans is null) return;
        foreach (var san in sans)
        {
            if (TryParseIP(san, out var ip)) ips.Add(ip);
            else if (IsDns1123Subdomain(san) || IsWildcardDns1123Subdomain(san)) dns.Add(san);
            else warn?.Invoke($"'{san}' was not added to the '{certName}' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry");
        }
    }

    /// <summary>
    /// The final SAN lists as kubeadm's signer writes them. With <paramref name="sorted"/> (1.20+): DNS names
    /// de-duplicated and sorted by byte order, IPs de-duplicated keeping first-seen order; without (1.18/1.19): as built.
    /// </summary>
    public static SubjectAltNames Normalize(IEnumerable<string> dns, IEnumerable<IPAddress> ips, bool sorted)
    {
        var ipList = ips.Select(i => i.IsIPv4MappedToIPv6 ? i.MapToIPv4() : i).ToList();
        if (!sorted) return new(dns.ToList(), ipList);
        var dnsSorted = dns.Distinct(StringComparer.Ordinal).OrderBy(d => d, StringComparer.Ordinal).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ipDistinct = ipList.Where(i => seen.Add(i.ToString())).ToList();
        return new(dnsSorted, ipDistinct);
    }

    /// <summary>
    /// The apiserver certificate's SANs (build order: node name, kubernetes, kubernetes.default, kubernetes.default.svc,
    /// kubernetes.default.svc.&lt;dnsDomain&gt;; service VIP, advertise address; control-plane endpoint host; certSANs), before normalizing.
    /// </summary>
    public static (List<string> Dns, List<IPAddress> Ips) ApiServer(PkiRequest request, Action<string>? warn)
    {
        var adv = request.ParseAdvertiseAddress();
        var dns = new List<string>
        {
            request.NodeName, "kubernetes", "kubernetes.default", "kubernetes.default.svc", $"kubernetes.default.svc.{request.DnsDomain}",
        };
        var ips = new List<IPAddress> { FirstServiceIP(request.ServiceSubnet), adv };
        if (!string.IsNullOrEmpty(request.ControlPlaneEndpoint))
        {
            var (host, _) = ParseHostPort(request.ControlPlaneEndpoint);
            if (TryParseIP(host, out var ip)) ips.Add(ip);
            else dns.Add(host);
        }
        AppendUserSans(dns, ips, request.ApiServerCertSANs, "apiserver", warn);
        return (dns, ips);
    }

    /// <summary>The etcd server or peer certificate's SANs before normalizing: node name, localhost; advertise address, 127.0.0.1, ::1; then the etcd certSANs.</summary>
    public static (List<string> Dns, List<IPAddress> Ips) Etcd(PkiRequest request, bool peer, Action<string>? warn)
    {
        var adv = request.ParseAdvertiseAddress();
        var dns = new List<string> { request.NodeName, "localhost" };
        var ips = new List<IPAddress> { adv, IPAddress.Loopback, IPAddress.IPv6Loopback };
        if (peer) AppendUserSans(dns, ips, request.EtcdPeerCertSANs, "etcd/peer", warn);
        else AppendUserSans(dns, ips, request.EtcdServerCertSANs, "etcd/server", warn);
        return (dns, ips);
    }

    /// <summary>
    /// Whether a certificate's DNS SANs accept <paramref name="name"/> as Go's VerifyHostname does: exact
    /// (case-insensitive) or by a leading <c>*</c> label matching exactly one non-empty label.
    /// </summary>
    public static bool DnsCovered(IEnumerable<string> certificateDnsNames, string name)
    {
        var host = name.TrimEnd('.').ToLowerInvariant();
        foreach (var pattern in certificateDnsNames)
        {
            var p = pattern.TrimEnd('.').ToLowerInvariant();
            if (p == host) return true;
            if (host.Contains('*')) continue;
            var pl = p.Split('.');
            var hl = host.Split('.');
            if (pl.Length != hl.Length || pl.Length < 2) continue;
            bool ok = true;
            for (int i = 0; i < pl.Length && ok; i++)
                ok = (i == 0 && pl[0] == "*" && hl[0].Length > 0) || pl[i] == hl[i];
            if (ok) return true;
        }
        return false;
    }
}
