using System.Net;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Preflight;

/// <summary>What the node is about to become: the first control-plane node (kubeadm init), another control-plane node (join --control-plane) or a worker (join).</summary>
public enum PreflightRole { ControlPlane, ControlPlaneJoin, Worker }

/// <summary>
/// The inputs of kubeadm's preflight for one node: role, target version, ports, etcd, CRI socket, addresses and the
/// checks to ignore. A small request of its own (the configuration model maps onto it); <see cref="Validate"/> fails
/// early with <c>Preflight.*</c> error ids before any node is touched.
/// </summary>
public sealed record KubePreflightRequest
{
    public PreflightRole Role { get; init; } = PreflightRole.ControlPlane;

    /// <summary>The Kubernetes version to deploy (a minor such as 1.30, or an exact release).</summary>
    public KubeVersion KubernetesVersion { get; init; } = VersionCatalog.NewestRelease;

    /// <summary>localAPIEndpoint.bindPort; names the Port-N check.</summary>
    public int BindPort { get; init; } = 6443;

    /// <summary>etcd is external: no etcd port or data-dir checks; the client certificate files are checked instead.</summary>
    public bool ExternalEtcd { get; init; }

    /// <summary>etcd.local.dataDir.</summary>
    public string EtcdDataDir { get; init; } = "/var/lib/etcd";

    /// <summary>External etcd CA, certificate and key paths on the node (ExternalEtcdClientCertificates).</summary>
    public IReadOnlyList<string> ExternalEtcdFiles { get; init; } = [];

    /// <summary>A control-plane join that downloads the certificates (--certificate-key): external etcd files are not checked.</summary>
    public bool DownloadCertificates { get; init; }

    /// <summary>nodeRegistration.criSocket; null to detect it as kubeadm does.</summary>
    public string? CriSocket { get; init; }

    /// <summary>nodeRegistration.name; null for the lower-cased hostname.</summary>
    public string? NodeName { get; init; }

    /// <summary>localAPIEndpoint.advertiseAddress; null for the default-route interface's address.</summary>
    public string? AdvertiseAddress { get; init; }

    /// <summary>networking.serviceSubnet (comma-separated for dual stack).</summary>
    public string ServiceSubnet { get; init; } = "10.96.0.0/12";

    /// <summary>networking.podSubnet, if any.</summary>
    public string? PodSubnet { get; init; }

    /// <summary>For joins: the API server endpoint used for discovery (host:port).</summary>
    public string? ApiServerEndpoint { get; init; }

    /// <summary>For worker joins: the CA file that must not exist yet.</summary>
    public string CACertPath { get; init; } = "/etc/kubernetes/pki/ca.crt";

    /// <summary>--ignore-preflight-errors / nodeRegistration.ignorePreflightErrors: check names (case-insensitive) or 'all'.</summary>
    public IReadOnlyList<string> IgnorePreflightErrors { get; init; } = [];

    /// <summary>True for the roles that run the control-plane checks (CPU, memory, ports, manifests, etcd).</summary>
    public bool IsControlPlane => Role is PreflightRole.ControlPlane or PreflightRole.ControlPlaneJoin;

    /// <summary>True for the two join roles.</summary>
    public bool IsJoin => Role is PreflightRole.ControlPlaneJoin or PreflightRole.Worker;

    /// <summary>What the probe must cover for this request: the etcd data dir, external etcd files, the CA path, the CRI socket, the node name.</summary>
    public NodeProbeOptions ProbeOptions => new()
    {
        Paths = new[] { EtcdDataDir, CACertPath }.Concat(ExternalEtcdFiles).ToList(),
        CriSockets = CriSocket is null ? [] : [CriSocket],
        HostNames = NodeName is null ? [] : [NodeName],
    };

    /// <summary>Checks every field; throws <see cref="KubeException"/> (several at once as <see cref="KubeAggregateException"/>) naming the value and what is valid.</summary>
    public void Validate()
    {
        var errors = new List<KubeException>();
        void Bad(string id, string message, object? value, string action) =>
            errors.Add(new KubeException(id, message, KubeErrorCategory.InvalidArgument, value, action));

        if (!VersionCatalog.TryGet(KubernetesVersion, out _))
            Bad("Version.Unsupported", $"Kubernetes {KubernetesVersion} is not supported. Supported minors are {VersionCatalog.Oldest} to {VersionCatalog.Newest}.",
                KubernetesVersion.ToString(), $"Choose a version from {VersionCatalog.Oldest} to {VersionCatalog.Newest}.");
        if (BindPort is < 1 or > 65535)
            Bad("Preflight.InvalidPort", $"bindPort {BindPort} is not a TCP port; valid ports are 1 to 65535.", BindPort, "Use 6443 or another free port.");
        foreach (var (what, path) in new[] { ("etcd data directory", EtcdDataDir), ("CA certificate path", CACertPath) }.Concat(ExternalEtcdFiles.Select(f => ("external etcd file", f))))
            if (string.IsNullOrEmpty(path) || path[0] != '/' || path.Contains('\n') || path.Contains('\0'))
                Bad("Preflight.InvalidPath", $"The {what} '{path}' is not an absolute path.", path, "Give an absolute path such as /var/lib/etcd.");
        foreach (var (field, value) in new[] { ("serviceSubnet", (string?)ServiceSubnet), ("podSubnet", PodSubnet) })
        {
            if (string.IsNullOrWhiteSpace(value)) continue;
            foreach (var cidr in value.Split(','))
                if (!IPNetwork.TryParse(cidr.Trim(), out _))
                    Bad("Preflight.InvalidSubnet", $"networking.{field} '{cidr.Trim()}' is not a CIDR such as 10.96.0.0/12.", value, "Give a CIDR (comma-separated for dual stack).");
        }
        if (AdvertiseAddress is { } adv && !IPAddress.TryParse(adv, out _))
            Bad("Preflight.InvalidAdvertiseAddress", $"advertiseAddress '{adv}' is not an IP address.", adv, "Give an IPv4 or IPv6 address of the node, or leave it out to use the default-route address.");
        if (ApiServerEndpoint is { } ep && !TrySplitHostPort(ep, out _, out _))
            Bad("Preflight.InvalidEndpoint", $"The API server endpoint '{ep}' is not host:port.", ep, "Give host:port, e.g. 10.0.0.10:6443 or [fd00::10]:6443.");
        if (CriSocket is { } sock)
        {
            try { NodeProbe.SocketPath(sock); }
            catch (KubeException e) { errors.Add(e); }
        }
        if (NodeName is { } name && (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
            Bad("Preflight.InvalidNodeName", $"The node name '{name}' is empty or holds white space.", name, "Give a lower-case DNS name, or leave it out for the hostname.");
        try { PreflightIgnoreList.Parse(IgnorePreflightErrors); }
        catch (KubeException e) { errors.Add(e); }

        if (errors.Count == 1) throw errors[0];
        if (errors.Count > 1) throw new KubeAggregateException(errors);
    }

    internal static bool TrySplitHostPort(string endpoint, out string host, out int port)
    {
        host = ""; port = 0;
        int colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || colon == endpoint.Length - 1) return false;
        host = endpoint[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':')) return false;
        return host.Length > 0 && int.TryParse(endpoint[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
    }
}
