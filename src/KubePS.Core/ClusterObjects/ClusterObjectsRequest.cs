using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using KubePS.Core.Versioning;

namespace KubePS.Core.ClusterObjects;

/// <summary>
/// The cluster facts the API-object renderers need (cluster-info, CoreDNS, kube-proxy): version, control-plane
/// endpoint, CA, networks, DNS domain and image overrides. (No object of these phases depends on clusterName: it
/// lives in the ClusterConfiguration text and the kubeconfig files; etcd image overrides are not in any API object.) Immutable; <see cref="Resolve"/> validates everything
/// once, before any object is rendered, and fails with a ClusterObjects.* error naming the value and what is valid.
/// </summary>
public sealed partial class ClusterObjectsRequest
{
    /// <summary>The Kubernetes version (a minor resolves to the newest patch the catalog knows).</summary>
    public required KubeVersion Version { get; init; }

    /// <summary>The control-plane endpoint URL, e.g. https://10.0.0.10:6443 or https://api.example:6443 (IPv6 hosts bracketed).</summary>
    public required string ControlPlaneEndpoint { get; init; }

    /// <summary>PEM text of the cluster CA certificate (ca.crt), exactly as in the file.</summary>
    public required string CACertificatePem { get; init; }

    /// <summary>networking.serviceSubnet; for dual-stack two CIDRs separated by a comma (the first gives the DNS IP).</summary>
    public string ServiceSubnet { get; init; } = "10.96.0.0/12";

    /// <summary>networking.podSubnet, or null; becomes kube-proxy's clusterCIDR.</summary>
    public string? PodSubnet { get; init; }

    /// <summary>networking.dnsDomain.</summary>
    public string DnsDomain { get; init; } = "cluster.local";

    /// <summary>imageRepository; null or empty for kubeadm's default of the version.</summary>
    public string? ImageRepository { get; init; }

    /// <summary>dns.imageRepository override.</summary>
    public string? DnsImageRepository { get; init; }

    /// <summary>dns.imageTag override.</summary>
    public string? DnsImageTag { get; init; }

    /// <summary>localAPIEndpoint.advertiseAddress of the first control plane: an IPv6 address makes kube-proxy bind to '::'.</summary>
    public string? AdvertiseAddress { get; init; }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc1123Subdomain();

    [GeneratedRegex(@"^[^\s/][^\s]*$", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryText();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex ImageTag();

    /// <summary>Validates every field and computes what the renderers read; throws ClusterObjects.* on bad input.</summary>
    internal Resolved Resolve()
    {
        var exact = VersionCatalog.Resolve(Version);
        var release = VersionCatalog.Get(exact);

        var endpoint = ParseEndpoint(ControlPlaneEndpoint);
        ValidateCA(CACertificatePem);

        var serviceNets = ParseCidrs(ServiceSubnet, "service subnet", "ClusterObjects.InvalidServiceSubnet", "10.96.0.0/12 or 10.96.0.0/12,fd00:10:96::/108");
        var dnsIP = serviceNets[0].IndexedAddress(10)
            ?? throw Bad("ClusterObjects.InvalidServiceSubnet",
                $"The service subnet {serviceNets[0]} is too small for the DNS Service, which takes its 10th address.",
                ServiceSubnet, "Use a service subnet with at least 16 addresses, such as a /28 or larger (kubeadm's default is 10.96.0.0/12).");

        if (PodSubnet is not null)
            ParseCidrs(PodSubnet, "pod subnet", "ClusterObjects.InvalidPodSubnet", "10.244.0.0/16 or 10.244.0.0/16,fd00:10:244::/56");

        CheckDnsDomain(DnsDomain);

        foreach (var (value, what) in new[] { (ImageRepository, "imageRepository"), (DnsImageRepository, "dns.imageRepository") })
            if (!string.IsNullOrEmpty(value) && !RepositoryText().IsMatch(value))
                throw Bad("ClusterObjects.InvalidImageRepository", $"{what} '{value}' is not an image repository.", value,
                    "Give a registry path such as registry.k8s.io or registry.aliyuncs.com/google_containers, without spaces or a leading '/'.");
        if (!string.IsNullOrEmpty(DnsImageTag) && !ImageTag().IsMatch(DnsImageTag))
            throw Bad("ClusterObjects.InvalidImageTag", $"dns.imageTag '{DnsImageTag}' is not a container image tag.", DnsImageTag,
                "Give a tag such as v1.11.3 (letters, digits, '_', '.', '-', at most 128 characters).");

        IPAddress? advertise = null;
        if (!string.IsNullOrEmpty(AdvertiseAddress) && !IPAddress.TryParse(AdvertiseAddress, out advertise))
            throw Bad("ClusterObjects.InvalidAdvertiseAddress", $"The advertise address '{AdvertiseAddress}' is not an IP address.", AdvertiseAddress,
                "Give the IPv4 or IPv6 address the API server advertises, such as 10.0.0.10.");

        return new Resolved(this, exact, release, endpoint, dnsIP, advertise);
    }

    internal static string CheckDnsDomain(string? domain)
    {
        if (domain is null || domain.Length > 253 || !Rfc1123Subdomain().IsMatch(domain))
            throw Bad("ClusterObjects.InvalidDnsDomain",
                $"The DNS domain '{domain}' is not a valid lower-case RFC 1123 subdomain.", domain,
                "Use a domain such as cluster.local: lower-case letters, digits, '-' and '.'.");
        return domain;
    }

    internal sealed record Resolved(ClusterObjectsRequest Request, KubeVersion Version, ReleaseInfo Release, string Endpoint,
        IPAddress DnsServiceIP, IPAddress? AdvertiseAddress)
    {
        public int Patch => Version.Patch!.Value;
    }

    static string ParseEndpoint(string? text)
    {
        if (text is null || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps
            || string.IsNullOrEmpty(uri.Host) || uri.PathAndQuery is not ("/" or "") || !string.IsNullOrEmpty(uri.UserInfo) || text.Contains('#'))
            throw Bad("ClusterObjects.InvalidEndpoint",
                $"The control-plane endpoint '{text}' is not an https URL of a host and port.", text,
                "Give the endpoint as kubeconfig files hold it, such as https://10.0.0.10:6443 or https://[fd00::10]:6443.");
        // kubeconfig servers carry no trailing slash.
        return text.TrimEnd('/');
    }

    static void ValidateCA(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem) || !pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            throw Bad("ClusterObjects.InvalidCACertificate", "The cluster CA is not a PEM certificate (no BEGIN CERTIFICATE block).", "ca.crt",
                "Pass the text of /etc/kubernetes/pki/ca.crt.");
        try
        {
            using var cert = X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new KubeException("ClusterObjects.InvalidCACertificate", $"The cluster CA PEM does not hold a readable certificate: {e.Message}",
                KubeErrorCategory.InvalidArgument, "ca.crt", "Pass the text of /etc/kubernetes/pki/ca.crt.", e);
        }
    }

    static IReadOnlyList<Cidr> ParseCidrs(string? text, string what, string id, string example)
    {
        var parts = (text ?? "").Split(',');
        var nets = new List<Cidr>();
        foreach (var p in parts)
        {
            if (!Cidr.TryParse(p.Trim(), out var c))
                throw Bad(id, $"The {what} '{text}' is not a CIDR or a comma-separated pair of CIDRs ('{p}' does not parse).", text,
                    $"Give a {what} such as {example}.");
            nets.Add(c);
        }
        if (nets.Count > 2 || (nets.Count == 2 && nets[0].IsIPv6 == nets[1].IsIPv6))
            throw Bad(id, $"The {what} '{text}' lists {nets.Count} CIDRs; dual-stack takes exactly one IPv4 and one IPv6 CIDR.", text,
                $"Give a {what} such as {example}.");
        return nets;
    }

    static KubeException Bad(string id, string message, string? value, string recommendation) =>
        new(id, message, KubeErrorCategory.InvalidArgument, value, recommendation);

    public override string ToString() => $"{Version} {ControlPlaneEndpoint} services {ServiceSubnet} dns {DnsDomain}";
}
