using System.Text;
using KubePS.Core.Api;
using KubePS.Core.Bootstrap;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Configuration;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Join;

/// <summary>
/// What every node of a join needs from the cluster, learned once before any node is touched: the discovered API
/// server and CA (token or file discovery, or a dry-run control plane's own), the ClusterConfiguration of
/// kube-system/kubeadm-config with this join's JoinConfiguration added, the kubelet-config document, and for a
/// control-plane join with a certificate key the decrypted kubeadm-certs. Everything is read with the bootstrap
/// identity (the token, or the discovery file's credentials), which kubeadm's RBAC lets read exactly these objects.
/// A wrong or expired certificate key, a cluster without a controlPlaneEndpoint for a control-plane join, or a
/// cluster that was not made by kubeadm fails here.
/// </summary>
public sealed class JoinCluster : IDisposable
{
    JoinCluster(DiscoveredCluster discovered, IClusterStore store, KubeApiCredentials? credentials, BootstrapTokenString? tlsBootstrapToken,
        KubeClusterConfiguration configuration, string kubeletDocument, IReadOnlyList<KubeadmCertsFile>? controlPlaneFiles)
    {
        Discovered = discovered; Store = store; BootstrapCredentials = credentials; TlsBootstrapToken = tlsBootstrapToken;
        Configuration = configuration; KubeletConfigDocument = kubeletDocument; ControlPlaneFiles = controlPlaneFiles;
    }

    public DiscoveredCluster Discovered { get; }

    /// <summary>The cluster as the bootstrap identity sees it (the API server, or a dry run's cluster folder).</summary>
    public IClusterStore Store { get; }

    /// <summary>The bootstrap identity's credentials (null in an offline dry run).</summary>
    public KubeApiCredentials? BootstrapCredentials { get; }

    /// <summary>The token of the kubelet's TLS bootstrap (null when a discovery file carries credentials instead).</summary>
    public BootstrapTokenString? TlsBootstrapToken { get; }

    /// <summary>The cluster's ClusterConfiguration (kubeadm-config) with this join's JoinConfiguration.</summary>
    public KubeClusterConfiguration Configuration { get; }

    /// <summary>The kubelet-config ConfigMap's kubelet document.</summary>
    public string KubeletConfigDocument { get; }

    /// <summary>The shared certificates and keys of kubeadm-certs, decrypted (control-plane join with a key), else null.</summary>
    public IReadOnlyList<KubeadmCertsFile>? ControlPlaneFiles { get; }

    /// <summary>The cluster CA certificate (PEM) the nodes trust.</summary>
    public string CACertificatePem => Discovered.CACertificatePem;

    /// <summary>/etc/kubernetes/bootstrap-kubelet.conf's kubeconfig.</summary>
    public KubeConfig BootstrapKubeConfig() => Discovered.BootstrapKubeConfig(TlsBootstrapToken);

    /// <summary>Discovers the cluster and reads what the nodes need. Nothing on a node is touched.</summary>
    public static async Task<JoinCluster> PrepareAsync(JoinRequest request, IOperationSink sink, CancellationToken ct)
    {
        var token = request.EffectiveToken;
        DiscoveredCluster discovered;
        IClusterStore store;
        KubeApiCredentials? credentials = null;
        if (request.ControlPlane is { DryRun: true } dry)
        {
            // A dry-run control plane exists only as files: trust its CA as read from its node, and read its cluster folder.
            discovered = Offline(dry);
            store = new DryRunClusterStore(Path.Combine(dry.DryRunPath ?? throw new KubeException("Join.DryRunControlPlane",
                $"The dry-run control plane {dry.Endpoint} has no dry-run folder.", KubeErrorCategory.InvalidArgument, dry.Node, "Run the dry-run init again."), "cluster"));
            sink.WriteVerbose($"discovery: the dry-run control plane {dry.Endpoint} is trusted as recorded (CA {discovered.CACertHashes.FirstOrDefault()}); its objects are read from {((DryRunClusterStore)store).FolderPath}");
        }
        else
        {
            discovered = request.Discovery switch
            {
                JoinDiscoveryKind.File => await DiscoveryFile.DiscoverAsync(request.DiscoveryFile!, request.DiscoveryTimeout, request.DiscoveryRetryInterval, sink, ct, null)
                    .ConfigureAwait(false),
                JoinDiscoveryKind.ControlPlane => await TokenDiscovery.DiscoverAsync(
                    request.DiscoveryRequest(request.ControlPlane!.ApiServerEndpoint, token!, request.ControlPlane.CACertHash is { } h ? [h] : request.CACertHashes),
                    sink, ct).ConfigureAwait(false),
                _ => await TokenDiscovery.DiscoverAsync(request.DiscoveryRequest(request.ApiServerEndpoint!, token!), sink, ct).ConfigureAwait(false),
            };
            credentials = token is not null
                ? new KubeApiCredentials(new Uri(discovered.Server), discovered.CACertificatePem, bearerToken: token.Reveal())
                : discovered.HasCredentials
                    ? KubeConfigCredentials.From(discovered.KubeConfig, discovered.Source)
                    : throw new KubeException("Discovery.NoCredentials",
                        $"The discovery file {discovered.Source} has no credentials for the TLS bootstrap and no bootstrap token was given.",
                        KubeErrorCategory.InvalidArgument, discovered.Source,
                        "Give -Token with the discovery file, use a discovery file with embedded credentials, or use token discovery.");
            store = new LiveClusterStore(new KubeApiClient(credentials));
        }

        try
        {
            var configuration = await ReadConfigurationAsync(store, request, discovered, ct).ConfigureAwait(false);
            var kubeletDocument = await ReadKubeletConfigAsync(store, configuration, ct).ConfigureAwait(false);
            IReadOnlyList<KubeadmCertsFile>? files = null;
            if (request.AsControlPlane && request.EffectiveCertificateKey is { } key)
                files = await ReadControlPlaneCertificatesAsync(store, configuration, key, discovered, ct).ConfigureAwait(false);
            else if (request.AsControlPlane)
                sink.WriteWarning($"{store.Target}: a control-plane join without a certificate key: each node must already hold the cluster's CAs and service-account keys under {configuration.CertificatesDir}.");
            return new JoinCluster(discovered, store, credentials, token, configuration, kubeletDocument, files);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    static DiscoveredCluster Offline(KubeControlPlane cp)
    {
        var ca = cp.CACertificatePem ?? throw new KubeException("Join.DryRunControlPlane",
            $"The dry-run control plane {cp.Endpoint} has no CA certificate (its certs/ca phase did not run).", KubeErrorCategory.InvalidArgument, cp.Node,
            "Run the dry-run init with its certs phases.");
        var caData = Encoding.ASCII.GetBytes(ca);
        var config = new KubeConfig { Clusters = [new NamedCluster { Name = "", Cluster = new KubeConfigCluster { Server = cp.Endpoint, CertificateAuthorityData = caData } }] };
        return new DiscoveredCluster(DiscoveryMethod.Token, cp.Endpoint, config, config.Clusters[0].Cluster, caData, cp.CACertHash, caVerified: true);
    }

    static async Task<KubeClusterConfiguration> ReadConfigurationAsync(IClusterStore store, JoinRequest request, DiscoveredCluster discovered, CancellationToken ct)
    {
        var cm = await store.GetAsync(KubeResource.ConfigMap, "kube-system", UploadConfigObjects.KubeadmConfigMapName, ct).ConfigureAwait(false);
        var yaml = (string?)cm?["data"]?[UploadConfigObjects.ClusterConfigurationKey]
            ?? throw new KubeException("Join.NoClusterConfiguration",
                $"The cluster at {discovered.Server} has no ClusterConfiguration in kube-system/{UploadConfigObjects.KubeadmConfigMapName}: it was not made by kubeadm or KubePS (or its upload-config phase did not run).",
                KubeErrorCategory.ObjectNotFound, discovered.Server, "Run Initialize-KubeControlPlane's upload-config/kubeadm phase on the first control plane.");
        var configuration = KubeClusterConfiguration.Parse(yaml, $"kube-system/{UploadConfigObjects.KubeadmConfigMapName}");
        configuration.Join = new JoinConfiguration
        {
            NodeRegistration = request.NodeRegistration?.Clone() ?? new NodeRegistrationOptions(),
            ControlPlane = request.AsControlPlane
                ? new JoinControlPlane { LocalApiEndpoint = new ApiEndpoint { AdvertiseAddress = string.IsNullOrWhiteSpace(request.AdvertiseAddress) ? null : request.AdvertiseAddress.Trim() } }
                : null,
        };
        configuration.Join.NodeRegistration.Name = null;   // per node: the request's -NodeName or the node's host name
        configuration.Join.Discovery = DiscoveryOf(request, discovered);
        if (request.AsControlPlane && string.IsNullOrEmpty(configuration.ControlPlaneEndpoint))
            throw new KubeException("Join.NoControlPlaneEndpoint",
                $"The cluster at {discovered.Server} has no controlPlaneEndpoint: another control-plane node cannot be added to a cluster that does not have a stable address for all of them.",
                KubeErrorCategory.InvalidOperation, discovered.Server,
                "Initialize the cluster with a controlPlaneEndpoint (a load balancer or DNS name in front of the control planes), as kubeadm requires for control-plane joins.");
        return configuration;
    }

    /// <summary>The JoinConfiguration's discovery as kubeadm would hold it for this join.</summary>
    static DiscoveryOptions DiscoveryOf(JoinRequest request, DiscoveredCluster discovered)
    {
        var token = request.EffectiveToken;
        if (request.Discovery == JoinDiscoveryKind.File)
        {
            var path = request.DiscoveryFile!.Contains("://", StringComparison.Ordinal) ? request.DiscoveryFile : Path.GetFullPath(request.DiscoveryFile);
            return new DiscoveryOptions { File = new Configuration.FileDiscovery { KubeConfigPath = path }, TlsBootstrapToken = token };
        }
        var pins = discovered.MatchedCACertHash is { } matched ? new List<string> { matched } : request.CACertHashes.ToList();
        return new DiscoveryOptions
        {
            BootstrapToken = new BootstrapTokenDiscovery
            {
                Token = token,
                ApiServerEndpoint = request.ControlPlane?.ApiServerEndpoint ?? request.ApiServerEndpoint,
                CACertHashes = pins,
                UnsafeSkipCAVerification = pins.Count == 0 ? true : null,
            },
        };
    }

    static async Task<string> ReadKubeletConfigAsync(IClusterStore store, KubeClusterConfiguration configuration, CancellationToken ct)
    {
        var name = UploadConfigObjects.KubeletConfigMapName(configuration.KubernetesVersion);
        var cm = await store.GetAsync(KubeResource.ConfigMap, "kube-system", name, ct).ConfigureAwait(false);
        return (string?)cm?["data"]?[UploadConfigObjects.KubeletConfigMapKey]
            ?? throw new KubeException("Join.NoKubeletConfiguration",
                $"The cluster at {store.Target} has no kubelet configuration in kube-system/{name}.",
                KubeErrorCategory.ObjectNotFound, name, "Run Initialize-KubeControlPlane's upload-config/kubelet phase on the first control plane.");
    }

    static async Task<IReadOnlyList<KubeadmCertsFile>> ReadControlPlaneCertificatesAsync(IClusterStore store, KubeClusterConfiguration configuration,
        CertificateKey key, DiscoveredCluster discovered, CancellationToken ct)
    {
        var secret = await store.GetAsync(KubeResource.Secret, "kube-system", UploadCertsObjects.SecretName, ct).ConfigureAwait(false)
            ?? throw new KubeException("Join.NoUploadedCertificates",
                $"The cluster at {discovered.Server} has no Secret kube-system/{UploadCertsObjects.SecretName}: the control-plane certificates were not uploaded, or their two hours are over.",
                KubeErrorCategory.ObjectNotFound, UploadCertsObjects.SecretName,
                "Upload them with a new key (Publish-KubeControlPlaneCertificate) and join with that key.");
        var external = configuration.Cluster.Etcd?.External is { } e ? new ExternalEtcdFiles(e.CAFile ?? "", e.CertFile ?? "", e.KeyFile ?? "") : null;
        var files = UploadCertsObjects.DecodeCertsSecret(secret, key, configuration.CertificatesDir, external);
        // The uploaded CA must be the one discovery trusts: a key for another cluster's upload is not this cluster's.
        var ca = files.FirstOrDefault(f => f.SecretKey == "ca.crt");
        if (ca is null || Encoding.ASCII.GetString(ca.Content).Trim() != discovered.CACertificatePem.Trim())
            throw new KubeException("Join.UploadedCertificatesMismatch",
                $"The CA in kube-system/{UploadCertsObjects.SecretName} is not the cluster CA that discovery established ({discovered.CACertHashes.FirstOrDefault()}).",
                KubeErrorCategory.SecurityError, UploadCertsObjects.SecretName, "Upload the certificates again from one of this cluster's control planes (Publish-KubeControlPlaneCertificate).");
        return files;
    }

    public void Dispose() => Store.Dispose();
}
