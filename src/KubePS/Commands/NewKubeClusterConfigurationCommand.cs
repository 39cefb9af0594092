using System.Collections;
using System.Management.Automation;
using KubePS.Core.Configuration;

namespace KubePS.Commands;

/// <summary>Creates a kubeadm cluster configuration from parameters, validated as kubeadm validates it.</summary>
/// <remarks>
/// <para>New-KubeClusterConfiguration builds the configuration that Initialize-KubeControlPlane and Join-KubeNode use, without writing any YAML. Every parameter is optional: what you leave out takes kubeadm's default for the chosen Kubernetes version (service subnet 10.96.0.0/12, DNS domain cluster.local, port 6443, certificates in /etc/kubernetes/pki, images from registry.k8s.io, or k8s.gcr.io before late 2022).</para>
/// <para>The result is checked before it is returned: subnets must parse and not overlap, names must be RFC 1123, the endpoint must be host[:port], the version must be in KubePS's catalog (1.18 to the newest release). All problems are reported at once, each with the offending value and what would be valid.</para>
/// <para>The object keeps what you gave apart from the defaults: Export-KubeadmConfiguration writes only your values (plus the resolved kubernetesVersion), while properties such as ServiceSubnet, DnsServiceIP or ImageRepository show the effective values.</para>
/// </remarks>
/// <example>
/// <code>New-KubeClusterConfiguration -KubernetesVersion 1.30 -ControlPlaneEndpoint k8s-api.example.internal:6443 -PodSubnet 10.244.0.0/16</code>
/// <para>Creates a configuration for the newest 1.30 patch behind a load balancer name, with a pod subnet for Flannel or Calico.</para>
/// </example>
/// <example>
/// <code>$cfg = New-KubeClusterConfiguration -KubernetesVersion 1.28.15 -ImageRepository registry.aliyuncs.com/google_containers -CertSANs k8s-api, 10.0.0.100 -KubeProxyMode ipvs -CgroupDriver systemd
/// $cfg | Export-KubeadmConfiguration -Path ./kubeadm-config.yaml</code>
/// <para>Creates a configuration that pulls images from a mirror, adds API server certificate names, runs kube-proxy in IPVS mode and the kubelet with the systemd cgroup driver, and writes it as a kubeadm file.</para>
/// </example>
/// <example>
/// <code>(New-KubeClusterConfiguration -ServiceSubnet 10.112.0.0/16).DnsServiceIP</code>
/// <para>Shows the cluster DNS address kubeadm derives from a service subnet (10.112.0.10).</para>
/// </example>
[Cmdlet(VerbsCommon.New, "KubeClusterConfiguration")]
[OutputType(typeof(KubeClusterConfiguration))]
public sealed class NewKubeClusterConfigurationCommand : KubeCmdlet
{
    /// <summary><para>The Kubernetes version: 1.30 (its newest patch in KubePS's catalog), 1.30.4, v1.30.4 or stable-1. The default is the newest release in the catalog.</para></summary>
    [Parameter(Position = 0)]
    [Alias("Version")]
    public string? KubernetesVersion { get; set; }

    /// <summary><para>A stable address for the API servers, such as a load balancer: an IP address or DNS name with an optional port (k8s-api.example.internal:6443). Needed for more than one control-plane node.</para></summary>
    [Parameter]
    public string? ControlPlaneEndpoint { get; set; }

    /// <summary><para>The pod network, e.g. 10.244.0.0/16; two CIDRs separated by a comma for dual-stack. Without it the controller manager does not allocate node pod ranges.</para></summary>
    [Parameter]
    public string? PodSubnet { get; set; }

    /// <summary><para>The service network (default 10.96.0.0/12). Its first address becomes the kubernetes Service IP and its tenth the cluster DNS IP.</para></summary>
    [Parameter]
    public string? ServiceSubnet { get; set; }

    /// <summary><para>The cluster DNS domain (default cluster.local).</para></summary>
    [Parameter]
    public string? DnsDomain { get; set; }

    /// <summary><para>A registry and path to pull the control-plane images from instead of kubeadm's default, e.g. registry.aliyuncs.com/google_containers.</para></summary>
    [Parameter]
    public string? ImageRepository { get; set; }

    /// <summary><para>Extra names and IP addresses for the API server certificate (apiServer.certSANs), e.g. the load balancer's name and address.</para></summary>
    [Parameter]
    public string[]? CertSANs { get; set; }

    /// <summary><para>The cluster name written into kubeconfig files (default kubernetes).</para></summary>
    [Parameter]
    public string? ClusterName { get; set; }

    /// <summary><para>Where certificates are kept on the nodes (default /etc/kubernetes/pki).</para></summary>
    [Parameter]
    public string? CertificatesDir { get; set; }

    /// <summary><para>The node name of the first control-plane node (default: its host name in lower case). Must be an RFC 1123 name.</para></summary>
    [Parameter]
    public string? NodeName { get; set; }

    /// <summary><para>The IP address the first control-plane node's API server advertises (default: the address of its default-route interface).</para></summary>
    [Parameter]
    public string? AdvertiseAddress { get; set; }

    /// <summary><para>The API server's secure port (default 6443).</para></summary>
    [Parameter]
    public int? BindPort { get; set; }

    /// <summary><para>The container runtime socket, e.g. unix:///var/run/containerd/containerd.sock or unix:///var/run/crio/crio.sock (default: containerd from 1.24, dockershim before).</para></summary>
    [Parameter]
    public string? CriSocket { get; set; }

    /// <summary><para>The key algorithm for certificates (Kubernetes 1.31 and newer): RSA-2048 (default), RSA-3072, RSA-4096, ECDSA-P256, or ECDSA-P384 from 1.34.</para></summary>
    [Parameter]
    [ValidateSet("RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384")]
    public string? EncryptionAlgorithm { get; set; }

    /// <summary><para>kubeadm feature gates as a hashtable of name and boolean, e.g. @{ EtcdLearnerMode = $true }. Only gates of the chosen version are accepted.</para></summary>
    [Parameter]
    public Hashtable? FeatureGate { get; set; }

    /// <summary><para>Extra names and addresses for the etcd server certificate (etcd.local.serverCertSANs).</para></summary>
    [Parameter]
    public string[]? EtcdServerCertSANs { get; set; }

    /// <summary><para>Extra names and addresses for the etcd peer certificate (etcd.local.peerCertSANs).</para></summary>
    [Parameter]
    public string[]? EtcdPeerCertSANs { get; set; }

    /// <summary><para>Client URLs of an existing etcd cluster (etcd.external.endpoints), e.g. https://10.0.0.21:2379. Without it each control-plane node runs its own etcd.</para></summary>
    [Parameter]
    public string[]? ExternalEtcdEndpoint { get; set; }

    /// <summary><para>The external etcd CA certificate path on the control-plane nodes.</para></summary>
    [Parameter]
    public string? ExternalEtcdCAFile { get; set; }

    /// <summary><para>The external etcd client certificate path on the control-plane nodes.</para></summary>
    [Parameter]
    public string? ExternalEtcdCertFile { get; set; }

    /// <summary><para>The external etcd client key path on the control-plane nodes.</para></summary>
    [Parameter]
    public string? ExternalEtcdKeyFile { get; set; }

    /// <summary><para>kube-proxy's mode: iptables, ipvs or nftables. Adds a KubeProxyConfiguration.</para></summary>
    [Parameter]
    [ValidateSet("iptables", "ipvs", "nftables")]
    public string? KubeProxyMode { get; set; }

    /// <summary><para>The kubelet's cgroup driver, systemd or cgroupfs; it must match the container runtime's. Adds a KubeletConfiguration.</para></summary>
    [Parameter]
    [ValidateSet("systemd", "cgroupfs")]
    public string? CgroupDriver { get; set; }

    protected override void ProcessRecord() => Run(sink =>
    {
        Dictionary<string, bool>? gates = null;
        if (FeatureGate is not null)
        {
            gates = new Dictionary<string, bool>(StringComparer.Ordinal);
            foreach (DictionaryEntry e in FeatureGate)
                gates[e.Key.ToString()!] = LanguagePrimitives.IsTrue(e.Value);
        }
        sink.WriteObject(KubeClusterConfiguration.Create(new NewClusterConfigurationRequest
        {
            KubernetesVersion = KubernetesVersion, ControlPlaneEndpoint = ControlPlaneEndpoint, PodSubnet = PodSubnet,
            ServiceSubnet = ServiceSubnet, DnsDomain = DnsDomain, ImageRepository = ImageRepository, CertSANs = CertSANs,
            ClusterName = ClusterName, CertificatesDir = CertificatesDir, NodeName = NodeName, AdvertiseAddress = AdvertiseAddress,
            BindPort = BindPort, CriSocket = CriSocket, EncryptionAlgorithm = EncryptionAlgorithm, FeatureGates = gates,
            EtcdServerCertSANs = EtcdServerCertSANs, EtcdPeerCertSANs = EtcdPeerCertSANs, ExternalEtcdEndpoints = ExternalEtcdEndpoint,
            ExternalEtcdCAFile = ExternalEtcdCAFile, ExternalEtcdCertFile = ExternalEtcdCertFile, ExternalEtcdKeyFile = ExternalEtcdKeyFile,
            KubeProxyMode = KubeProxyMode, CgroupDriver = CgroupDriver,
        }));
    });
}
