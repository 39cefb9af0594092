using System.Globalization;
using System.Text.RegularExpressions;
using KubePS.Core.Versioning;

namespace KubePS.Core.Configuration;

/// <summary>
/// Validation of a <see cref="KubeClusterConfiguration"/> with kubeadm's rules (cmd/kubeadm/app/apis/kubeadm/validation)
/// and the version catalog. Collects every problem; each error names the field, the offending value and what would be
/// valid. Secrets are never quoted: token problems name the token id or a length only.
/// </summary>
internal static partial class ConfigValidator
{
    public static IReadOnlyList<KubeException> Validate(KubeClusterConfiguration cfg)
    {
        var v = new Collector();
        var c = cfg.Cluster;

        // ---- version and API version
        ReleaseInfo? release = null;
        KubeVersion? version = null;
        try
        {
            version = cfg.KubernetesVersion;
            release = VersionCatalog.Get(version);
        }
        catch (KubeException e) { v.Add(e); }

        if (release is not null && cfg.SourceApiVersion is { } api)
        {
            string ver = api[(api.IndexOf('/') + 1)..];
            if (!release.ConfigApiVersions.Contains(ver))
                v.Add("Config.ApiVersionNotSupported",
                    $"{cfg.SourcePath ?? "The configuration"} uses {api}, which kubeadm {version!.MinorVersion} does not read; it reads {string.Join(", ", release.ConfigApiVersions.Select(x => $"{KubeadmApi.Group}/{x}"))}.",
                    api, $"Convert the file to {KubeadmApi.Group}/{release.DefaultConfigApiVersion} (Export-KubeadmConfiguration -ApiVersion {release.DefaultConfigApiVersion}) or choose a kubernetesVersion that reads {api}.");
        }

        // ---- cluster-wide
        ValidateNetworking(cfg, v);
        if (c.ClusterName is { } cn && !NetworkText.IsDns1123Subdomain(cn))
            v.Add("Config.InvalidName", $"clusterName '{cn}' is not a valid RFC 1123 name: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. kubernetes).", cn, "Choose a name such as prod-cluster.");
        if (c.ControlPlaneEndpoint is { } cpe && !NetworkText.TryParseHostPort(cpe, out _, out _))
            v.Add(BadEndpoint(cpe));
        if (c.CertificatesDir is { } dir) AbsolutePath(v, "certificatesDir", dir);
        Image(v, "imageRepository", c.ImageRepository);
        Image(v, "dns.imageRepository", c.Dns?.ImageRepository);
        CertSans(v, "apiServer.certSANs", c.ApiServer?.CertSANs);
        Component(v, "apiServer", c.ApiServer);
        Component(v, "controllerManager", c.ControllerManager);
        Component(v, "scheduler", c.Scheduler);
        Duration(v, "apiServer.timeoutForControlPlane", c.ApiServer?.TimeoutForControlPlane);
        ValidateEtcd(c.Etcd, v);
        if (release is not null) ValidateVersionFields(cfg, release, v);

        // ---- init
        if (cfg.Init is { } init)
        {
            NodeRegistration(v, "InitConfiguration nodeRegistration", init.NodeRegistration);
            Endpoint(v, "InitConfiguration localAPIEndpoint", init.LocalApiEndpoint);
            int i = 0;
            foreach (var t in init.BootstrapTokens ?? []) Token(v, $"bootstrapTokens[{i++}]", t);
            Timeouts(v, "InitConfiguration timeouts", init.Timeouts);
        }

        // ---- join
        if (cfg.Join is { } join)
        {
            NodeRegistration(v, "JoinConfiguration nodeRegistration", join.NodeRegistration);
            if (join.ControlPlane?.LocalApiEndpoint is { } ep) Endpoint(v, "JoinConfiguration controlPlane.localAPIEndpoint", ep);
            if (join.CACertPath is { } ca && (!ca.StartsWith('/') || !ca.EndsWith(".crt", StringComparison.Ordinal)))
                v.Add("Config.InvalidPath", $"JoinConfiguration caCertPath '{ca}' must be an absolute path to a .crt file (default {KubeadmDefaults.CACertPath}).", ca, "Give an absolute path ending in .crt.");
            Discovery(v, join.Discovery);
            Timeouts(v, "JoinConfiguration timeouts", join.Timeouts);
        }

        // ---- component configurations
        if (cfg.Kubelet?.CgroupDriver is { } driver && driver is not ("systemd" or "cgroupfs"))
            v.Add("Config.InvalidValue", $"KubeletConfiguration cgroupDriver '{driver}' is not valid; use systemd or cgroupfs (matching the container runtime's).", driver, "Set cgroupDriver: systemd for containerd/CRI-O with systemd.");
        if (cfg.KubeProxy?.Mode is { } mode && mode is not ("" or "iptables" or "ipvs" or "nftables" or "kernelspace" or "userspace"))
            v.Add("Config.InvalidValue", $"KubeProxyConfiguration mode '{mode}' is not valid; use iptables, ipvs or nftables (or leave it empty for the default).", mode, "Set mode: ipvs or iptables.");
        return v.Errors;
    }

    // ------------------------------------------------------------------ networking

    static void ValidateNetworking(KubeClusterConfiguration cfg, Collector v)
    {
        var n = cfg.Cluster.Networking;
        if (n?.DnsDomain is { } domain && !NetworkText.IsDns1123Subdomain(domain))
            v.Add("Config.InvalidName", $"networking.dnsDomain '{domain}' is not a valid RFC 1123 subdomain (lower-case letters, digits, '-' and '.'; default {KubeadmDefaults.DnsDomain}).", domain, "Use a domain such as cluster.local.");

        var services = Subnets(v, "networking.serviceSubnet", cfg.ServiceSubnet);
        foreach (var s in services)
        {
            var size = NetworkText.Size(s);
            int bits = (KubeClusterConfiguration.IsIPv6(s) ? 128 : 32) - s.PrefixLength;
            if (size < KubeadmDefaults.MinimumServiceSubnetAddresses)
                v.Add("Config.ServiceSubnetTooSmall",
                    $"networking.serviceSubnet {s} holds {size} addresses; it needs at least {KubeadmDefaults.MinimumServiceSubnetAddresses} (the DNS service takes the 10th), i.e. /28 or larger for IPv4, /124 or larger for IPv6.",
                    s.ToString(), $"Use a larger subnet such as {KubeadmDefaults.ServiceSubnet}.");
            else if (bits > KubeadmDefaults.MaximumServiceSubnetBits)
                v.Add("Config.ServiceSubnetTooLarge",
                    $"networking.serviceSubnet {s} is too large; the mask must be at least /{(KubeClusterConfiguration.IsIPv6(s) ? 128 : 32) - KubeadmDefaults.MaximumServiceSubnetBits} ({(KubeClusterConfiguration.IsIPv6(s) ? "/108 for IPv6" : "/12 for IPv4")}).",
                    s.ToString(), $"Use a subnet such as {KubeadmDefaults.ServiceSubnet} or smaller.");
        }

        if (cfg.PodSubnet is null) return;
        var pods = Subnets(v, "networking.podSubnet", cfg.PodSubnet);
        bool allocate = ExtraArgs.Get(cfg.Cluster.ControllerManager?.ExtraArgs, "allocate-node-cidrs") != "false";
        foreach (var p in pods)
        {
            bool v6 = KubeClusterConfiguration.IsIPv6(p);
            if (NetworkText.Size(p) < KubeadmDefaults.MinimumPodSubnetAddresses)
                v.Add("Config.PodSubnetTooSmall", $"networking.podSubnet {p} holds {NetworkText.Size(p)} addresses; it needs at least {KubeadmDefaults.MinimumPodSubnetAddresses}.", p.ToString(), "Use a larger subnet such as 10.244.0.0/16.");
            if (allocate)
            {
                string arg = v6 ? "node-cidr-mask-size-ipv6" : "node-cidr-mask-size-ipv4";
                var text = ExtraArgs.Get(cfg.Cluster.ControllerManager?.ExtraArgs, arg) ?? ExtraArgs.Get(cfg.Cluster.ControllerManager?.ExtraArgs, "node-cidr-mask-size");
                int nodeMask = v6 ? KubeadmDefaults.NodeCidrMaskIPv6 : KubeadmDefaults.NodeCidrMaskIPv4;
                if (text is not null && !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out nodeMask))
                {
                    v.Add("Config.InvalidExtraArg", $"controllerManager.extraArgs {arg} '{text}' is not a whole number (a mask size such as {(v6 ? 64 : 24)}).", text, "Give the per-node mask size as a number.");
                    continue;
                }
                if (p.PrefixLength > nodeMask)
                    v.Add("Config.InvalidPodSubnet", $"networking.podSubnet {p} (/{p.PrefixLength}) is smaller than one node's pod range (/{nodeMask}); the pod subnet must be /{nodeMask} or larger.", p.ToString(), $"Use a pod subnet of /{Math.Max(0, nodeMask - 8)} or set controllerManager extraArgs {arg}.");
                else if (nodeMask - p.PrefixLength > KubeadmDefaults.PodSubnetNodeMaskMaxDiff)
                    v.Add("Config.InvalidPodSubnet", $"networking.podSubnet {p} (/{p.PrefixLength}) and the node mask /{nodeMask} differ by more than {KubeadmDefaults.PodSubnetNodeMaskMaxDiff} bits; use /{nodeMask - KubeadmDefaults.PodSubnetNodeMaskMaxDiff} or smaller.", p.ToString(), $"Use a pod subnet of /{nodeMask - KubeadmDefaults.PodSubnetNodeMaskMaxDiff} or longer, or raise {arg}.");
            }
        }
        foreach (var p in pods)
            foreach (var s in services)
                if (NetworkText.Overlaps(p, s))
                    v.Add("Config.OverlappingSubnets",
                        $"networking.podSubnet {p} overlaps networking.serviceSubnet {s}; pod and service addresses must be disjoint.",
                        $"{p} / {s}", $"Choose subnets that do not overlap, e.g. podSubnet 10.244.0.0/16 with serviceSubnet {KubeadmDefaults.ServiceSubnet}.");
    }

    static IReadOnlyList<System.Net.IPNetwork> Subnets(Collector v, string field, string text)
    {
        var parts = text.Split(',');
        var list = new List<System.Net.IPNetwork>();
        foreach (var part in parts)
        {
            if (!NetworkText.TryParseCidr(part, out var n)) { v.Add(BadCidr(part.Trim(), field)); return []; }
            list.Add(n);
        }
        bool dual = list.Count == 2 && KubeClusterConfiguration.IsIPv6(list[0]) != KubeClusterConfiguration.IsIPv6(list[1]);
        if (list.Count > 2 || (list.Count == 2 && !dual))
        {
            v.Add("Config.InvalidCidr", $"{field} '{text}' must be one CIDR, or two (one IPv4, one IPv6) separated by a comma for dual-stack.", text, "Give one CIDR, or one IPv4 and one IPv6 CIDR.");
            return [];
        }
        return list;
    }

    // ------------------------------------------------------------------ version-dependent fields

    static void ValidateVersionFields(KubeClusterConfiguration cfg, ReleaseInfo release, Collector v)
    {
        var c = cfg.Cluster;
        string minor = release.Minor.ToString();
        var first131 = VersionCatalog.Releases.FirstOrDefault(r => r.ConfigurableValidity)?.Minor.ToString() ?? "v1.31";

        if (c.EncryptionAlgorithm is { } alg)
        {
            var all = VersionCatalog.Releases.SelectMany(r => r.EncryptionAlgorithms).Distinct().ToList();
            if (release.EncryptionAlgorithms.Count == 0)
                v.Add("Config.InvalidEncryptionAlgorithm",
                    $"encryptionAlgorithm '{alg}' needs Kubernetes {first131} or newer (kubeadm v1beta4); {minor} always uses RSA-2048 keys" +
                    (release.FeatureGates.ContainsKey("PublicKeysECDSA") ? ", or ECDSA-P256 with featureGates PublicKeysECDSA: true." : "."),
                    alg, release.FeatureGates.ContainsKey("PublicKeysECDSA") ? "Remove encryptionAlgorithm, or set featureGates PublicKeysECDSA: true for ECDSA-P256." : "Remove encryptionAlgorithm.");
            else if (!release.EncryptionAlgorithms.Contains(alg))
            {
                var from = VersionCatalog.Releases.FirstOrDefault(r => r.EncryptionAlgorithms.Contains(alg));
                v.Add("Config.InvalidEncryptionAlgorithm",
                    $"encryptionAlgorithm '{alg}' is not valid for {minor}; use one of {string.Join(", ", release.EncryptionAlgorithms)}" +
                    (from is not null ? $" ({alg} needs {from.Minor} or newer)." : $" (known algorithms: {string.Join(", ", all)})."),
                    alg, $"Choose one of {string.Join(", ", release.EncryptionAlgorithms)}.");
            }
        }
        foreach (var (field, value) in new[] { ("certificateValidityPeriod", c.CertificateValidityPeriod), ("caCertificateValidityPeriod", c.CACertificateValidityPeriod) })
        {
            if (value is null) continue;
            if (!release.ConfigurableValidity)
                v.Add("Config.FieldNotSupported", $"{field} ({value}) needs Kubernetes {first131} or newer; kubeadm {minor} signs CAs for 87600h and other certificates for 8760h.", value, $"Remove {field} or choose kubernetesVersion {first131} or newer.");
            else if (!GoDuration.TryParse(value, out var d) || d <= TimeSpan.Zero)
                v.Add("Config.InvalidDuration", $"{field} '{value}' is not a positive duration; use Go duration text such as 8760h or 87600h.", value, "Write the period in hours, e.g. 17520h for two years.");
        }

        if (c.FeatureGates is { } gates)
        {
            foreach (var (gate, _) in gates)
                if (!release.FeatureGates.ContainsKey(gate))
                {
                    var known = release.FeatureGates.Count == 0 ? "none" : string.Join(", ", release.FeatureGates.Select(g => $"{g.Key} ({g.Value})"));
                    var elsewhere = VersionCatalog.Releases.Where(r => r.FeatureGates.ContainsKey(gate)).Select(r => r.Minor).ToList();
                    v.Add("Config.UnknownFeatureGate",
                        $"featureGates: '{gate}' is not a kubeadm feature gate of {minor}" +
                        (elsewhere.Count > 0 ? $" (it exists in {elsewhere[0]} to {elsewhere[^1]})" : "") + $". Gates of {minor}: {known}.",
                        gate, "Remove the gate or choose a version that has it.");
                }
        }
    }

    // ------------------------------------------------------------------ etcd

    static void ValidateEtcd(EtcdOptions? etcd, Collector v)
    {
        if (etcd is null) return;
        if (etcd.Local is not null && etcd.External is not null)
        {
            v.Add("Config.InvalidEtcd", "etcd.local and etcd.external are both set; choose one (local: a static-pod etcd per control-plane node; external: an existing etcd cluster).", "etcd", "Remove one of etcd.local and etcd.external.");
            return;
        }
        if (etcd.Local is { } l)
        {
            if (l.DataDir is { } dd) AbsolutePath(v, "etcd.local.dataDir", dd);
            Image(v, "etcd.local.imageRepository", l.ImageRepository);
            Args(v, "etcd.local.extraArgs", l.ExtraArgs);
            Envs(v, "etcd.local.extraEnvs", l.ExtraEnvs);
            CertSans(v, "etcd.local.serverCertSANs", l.ServerCertSANs);
            CertSans(v, "etcd.local.peerCertSANs", l.PeerCertSANs);
        }
        if (etcd.External is { } x)
        {
            if (x.Endpoints is not { Count: > 0 })
                v.Add("Config.InvalidEtcd", "etcd.external.endpoints is empty; list the etcd client URLs, e.g. https://10.0.0.10:2379.", "etcd.external.endpoints", "Add the endpoints of the external etcd cluster.");
            bool tls = x.CAFile is not null || x.CertFile is not null || x.KeyFile is not null;
            if ((x.CertFile is null) != (x.KeyFile is null))
                v.Add("Config.InvalidEtcd", $"etcd.external needs both certFile and keyFile or neither (certFile '{x.CertFile}', keyFile '{x.KeyFile}').", "etcd.external", "Give the client certificate and its key together.");
            if (x.CertFile is not null && x.KeyFile is not null && x.CAFile is null)
                v.Add("Config.InvalidEtcd", "etcd.external certFile and keyFile need caFile too.", "etcd.external.caFile", "Give the etcd CA certificate in caFile.");
            foreach (var e in x.Endpoints ?? [])
            {
                if (!Uri.TryCreate(e, UriKind.Absolute, out var u) || (u.Scheme != "https" && u.Scheme != "http"))
                    v.Add("Config.InvalidEtcd", $"etcd.external.endpoints '{e}' is not an http(s) URL such as https://10.0.0.10:2379.", e, "Write each endpoint as https://host:2379.");
                else if (tls && u.Scheme != "https")
                    v.Add("Config.InvalidEtcd", $"etcd.external.endpoints '{e}' must use https when TLS files are given.", e, "Use https:// endpoints.");
            }
            foreach (var (field, path) in new[] { ("caFile", x.CAFile), ("certFile", x.CertFile), ("keyFile", x.KeyFile) })
                if (path is not null) AbsolutePath(v, $"etcd.external.{field}", path);
        }
    }

    // ------------------------------------------------------------------ node registration, endpoints, discovery, tokens

    static void NodeRegistration(Collector v, string path, NodeRegistrationOptions? nr)
    {
        if (nr is null) return;
        if (nr.Name is { } name && !NetworkText.IsDns1123Subdomain(name))
            v.Add("Config.InvalidName",
                $"{path}.name '{name}' is not a valid node name: use lower-case letters, digits, '-' and '.' (RFC 1123), at most 253 characters" +
                (name.Contains('_') ? "; '_' is not allowed" : "") + (name != name.ToLowerInvariant() ? "; upper case is not allowed" : "") + ".",
                name, $"Use '{Suggest(name)}' or another RFC 1123 name.");
        if (nr.CriSocket is { } sock && !(sock.StartsWith('/') || sock.StartsWith("unix:///", StringComparison.Ordinal) || sock.StartsWith("npipe://", StringComparison.Ordinal)))
            v.Add("Config.InvalidCriSocket", $"{path}.criSocket '{sock}' must be a unix:// URL or an absolute socket path, e.g. unix:///var/run/containerd/containerd.sock.", sock, "Give the runtime's socket as unix:///path.");
        if (nr.ImagePullPolicy is { } pol && pol is not ("Always" or "IfNotPresent" or "Never"))
            v.Add("Config.InvalidImagePullPolicy", $"{path}.imagePullPolicy '{pol}' is not valid; use Always, IfNotPresent or Never.", pol, "Use IfNotPresent (the default).");
        Args(v, $"{path}.kubeletExtraArgs", nr.KubeletExtraArgs);
        if (nr.IgnorePreflightErrors is { } ign && ign.Any(i => i.Equals("all", StringComparison.OrdinalIgnoreCase)) && ign.Count > 1)
            v.Add("Config.InvalidValue", $"{path}.ignorePreflightErrors lists 'all' together with {string.Join(", ", ign.Where(i => !i.Equals("all", StringComparison.OrdinalIgnoreCase)))}; give 'all' alone or only names of checks.", string.Join(",", ign), "Remove 'all' or the individual check names.");
        int i = 0;
        foreach (var t in nr.Taints ?? [])
        {
            string tp = $"{path}.taints[{i++}]";
            if (string.IsNullOrEmpty(t.Key) || !QualifiedName().IsMatch(t.Key))
                v.Add("Config.InvalidTaint", $"{tp}.key '{t.Key}' is not a valid taint key (a qualified name such as node-role.kubernetes.io/control-plane).", t.Key ?? "", "Give a key such as example.com/dedicated.");
            if (t.Effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
                v.Add("Config.InvalidTaint", $"{tp}.effect '{t.Effect}' is not valid; use NoSchedule, PreferNoSchedule or NoExecute.", t.Effect ?? "", "Set effect: NoSchedule.");
        }
    }

    static void Endpoint(Collector v, string path, ApiEndpoint? ep)
    {
        if (ep is null) return;
        if (ep.AdvertiseAddress is { } a && !NetworkText.IsStrictIp(a, out _)) v.Add(BadAddress(a, $"{path}.advertiseAddress"));
        if (ep.BindPort is { } p && (p < 1 || p > 65535))
            v.Add("Config.InvalidPort", $"{path}.bindPort {p} is not a TCP port; use 1 to 65535 (default {KubeadmDefaults.BindPort}).", p.ToString(CultureInfo.InvariantCulture), $"Use {KubeadmDefaults.BindPort}.");
    }

    static void Discovery(Collector v, DiscoveryOptions? d)
    {
        if (d is null || (d.BootstrapToken is null && d.File is null))
        {
            v.Add("Config.InvalidDiscovery", "JoinConfiguration discovery needs bootstrapToken (token, apiServerEndpoint, caCertHashes) or file (kubeConfigPath).", "discovery", "Give discovery.bootstrapToken or discovery.file.");
            return;
        }
        if (d.BootstrapToken is not null && d.File is not null)
            v.Add("Config.InvalidDiscovery", "JoinConfiguration discovery has both bootstrapToken and file; give one.", "discovery", "Remove discovery.bootstrapToken or discovery.file.");
        if (d.BootstrapToken is { } bt)
        {
            if (bt.Token is null)
                v.Add("Config.InvalidToken", "discovery.bootstrapToken.token is missing; a token such as abcdef.0123456789abcdef is required.", "discovery.bootstrapToken.token", "Give the token from the control plane (kubeadm token list).");
            if (bt.ApiServerEndpoint is not { } ep || !NetworkText.TryParseHostPort(ep, out _, out var port) || port is null)
                v.Add("Config.InvalidEndpoint", $"discovery.bootstrapToken.apiServerEndpoint '{bt.ApiServerEndpoint}' must be host:port of the API server, e.g. 10.0.0.10:6443.", bt.ApiServerEndpoint ?? "", "Give the control plane endpoint with its port.");
            foreach (var h in bt.CACertHashes ?? [])
                if (!CaHash().IsMatch(h))
                    v.Add("Config.InvalidCACertHash", $"discovery.bootstrapToken.caCertHashes '{h}' is not of the form sha256:<64 hex characters> (the SHA-256 of the CA's public key, as kubeadm token create --print-join-command prints it).", h, "Copy the hash that kubeadm token create --print-join-command prints on the control plane.");
            if (bt.CACertHashes is not { Count: > 0 } && bt.UnsafeSkipCAVerification != true)
                v.Add("Config.UnsafeDiscovery", "discovery.bootstrapToken has no caCertHashes; joining without pinning the cluster CA lets another host impersonate the control plane.", "discovery.bootstrapToken.caCertHashes", "Give caCertHashes: [sha256:...], or set unsafeSkipCAVerification: true to accept the risk.");
        }
        if (d.File is { } f)
        {
            var p = f.KubeConfigPath;
            bool ok = p is not null && (p.StartsWith('/') || (Uri.TryCreate(p, UriKind.Absolute, out var u) && u.Scheme == "https"));
            if (!ok)
                v.Add("Config.InvalidDiscovery", $"discovery.file.kubeConfigPath '{p}' must be an absolute path on the node or an https URL.", p ?? "", "Give e.g. /etc/kubernetes/discovery.conf.");
        }
        Duration(v, "discovery.timeout", d.Timeout);
    }

    static void Token(Collector v, string path, BootstrapToken t)
    {
        string id = t.Token?.Id ?? "(generated)";
        foreach (var u in t.Usages ?? [])
            if (u is not ("signing" or "authentication"))
                v.Add("Config.InvalidTokenUsage", $"{path} (id {id}) usage '{u}' is not valid; use signing and/or authentication.", u, "Use usages: [signing, authentication].");
        if (t.Groups is { Count: > 0 } groups)
        {
            if (t.Usages is not null && !t.Usages.Contains("authentication"))
                v.Add("Config.InvalidTokenGroup", $"{path} (id {id}) has groups but its usages lack authentication; groups only apply to authentication tokens.", string.Join(",", groups), "Add authentication to usages or remove groups.");
            foreach (var g in groups)
                if (!TokenGroup().IsMatch(g))
                    v.Add("Config.InvalidTokenGroup", $"{path} (id {id}) group '{g}' must match system:bootstrappers:[a-z0-9:-]*[a-z0-9], e.g. {KubeadmDefaults.BootstrapTokenGroups[0]}.", g, $"Use {KubeadmDefaults.BootstrapTokenGroups[0]}.");
        }
        if (t.Ttl is not null && t.Expires is not null)
            v.Add("Config.InvalidToken", $"{path} (id {id}) sets both ttl ({t.Ttl}) and expires ({t.Expires}); they are mutually exclusive.", path, "Keep ttl or expires.");
        Duration(v, $"{path}.ttl", t.Ttl);
        if (t.Expires is { } ex && !DateTimeOffset.TryParse(ex, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
            v.Add("Config.InvalidValue", $"{path}.expires '{ex}' is not an RFC 3339 time such as 2030-01-01T00:00:00Z.", ex, "Write the time as 2030-01-01T00:00:00Z.");
    }

    static void Timeouts(Collector v, string path, KubeadmTimeouts? t)
    {
        foreach (var (field, value) in t?.All() ?? []) Duration(v, $"{path}.{field}", value);
    }

    // ------------------------------------------------------------------ components

    static void Component(Collector v, string path, ControlPlaneComponentOptions? c)
    {
        if (c is null) return;
        Args(v, $"{path}.extraArgs", c.ExtraArgs);
        Envs(v, $"{path}.extraEnvs", c.ExtraEnvs);
        int i = 0;
        foreach (var vol in c.ExtraVolumes ?? [])
        {
            string vp = $"{path}.extraVolumes[{i++}]";
            if (!NetworkText.IsDns1123Label(vol.Name))
                v.Add("Config.InvalidVolume", $"{vp}.name '{vol.Name}' must be an RFC 1123 label (lower-case letters, digits, '-').", vol.Name ?? "", "Name the volume e.g. audit-log.");
            if (vol.HostPath is not { } hp || !hp.StartsWith('/'))
                v.Add("Config.InvalidVolume", $"{vp}.hostPath '{vol.HostPath}' must be an absolute path on the node.", vol.HostPath ?? "", "Give an absolute path.");
            if (vol.MountPath is not { } mp || !mp.StartsWith('/'))
                v.Add("Config.InvalidVolume", $"{vp}.mountPath '{vol.MountPath}' must be an absolute path in the container.", vol.MountPath ?? "", "Give an absolute path.");
            if (vol.PathType is { } pt && pt is not ("" or "DirectoryOrCreate" or "Directory" or "FileOrCreate" or "File" or "Socket" or "CharDevice" or "BlockDevice"))
                v.Add("Config.InvalidVolume", $"{vp}.pathType '{pt}' is not valid; use DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice or BlockDevice.", pt, "Use DirectoryOrCreate or FileOrCreate.");
        }
    }

    static void Args(Collector v, string path, List<KubeArg>? args)
    {
        foreach (var a in args ?? [])
            if (!FlagName().IsMatch(a.Name))
                v.Add("Config.InvalidExtraArg",
                    $"{path} name '{a.Name}' is not a flag name; write it without leading dashes, in lower-case letters, digits and '-' (e.g. audit-log-path, not --audit-log-path).",
                    a.Name, $"Use '{a.Name.TrimStart('-').ToLowerInvariant()}'.");
    }

    static void Envs(Collector v, string path, List<KubeEnvVar>? envs)
    {
        int i = 0;
        foreach (var e in envs ?? [])
        {
            if (string.IsNullOrEmpty(e.Name))
                v.Add("Config.InvalidValue", $"{path}[{i}] has no name; every environment variable needs one.", $"{path}[{i}]", "Give name: VARIABLE.");
            i++;
        }
    }

    static void CertSans(Collector v, string path, List<string>? sans)
    {
        foreach (var s in sans ?? [])
            if (!NetworkText.IsStrictIp(s, out _) && !NetworkText.IsDns1123Subdomain(s) && !NetworkText.IsWildcardSubdomain(s))
                v.Add("Config.InvalidCertSAN", $"{path} entry '{s}' is neither an IP address nor a DNS name (lower-case RFC 1123, or a wildcard such as *.example.com).", s, "Give IP addresses and lower-case DNS names.");
    }

    static void Image(Collector v, string path, string? repo)
    {
        if (repo is null) return;
        if (!ImageRepository().IsMatch(repo.TrimEnd('/')))
            v.Add("Config.InvalidImageRepository", $"{path} '{repo}' is not a valid image repository such as registry.k8s.io or registry.aliyuncs.com/google_containers.", repo, "Give registry[:port][/path] in lower case.");
    }

    static void AbsolutePath(Collector v, string path, string value)
    {
        if (!value.StartsWith('/'))
            v.Add("Config.InvalidPath", $"{path} '{value}' is not an absolute path on the node.", value, "Give a path that starts with /.");
    }

    static void Duration(Collector v, string path, string? value)
    {
        if (value is not null && (!GoDuration.TryParse(value, out var d) || d < TimeSpan.Zero))
            v.Add("Config.InvalidDuration", $"{path} '{value}' is not a duration; use Go duration text such as 4m0s, 90s or 24h.", value, "Write a number with a unit (h, m, s).");
    }

    static string Suggest(string name)
    {
        var s = Regex.Replace(name.ToLowerInvariant(), "[^a-z0-9.-]", "-").Trim('-', '.');
        return s.Length == 0 ? "node-1" : s;
    }

    // ------------------------------------------------------------------ shared errors

    internal static KubeException BadCidr(string text, string field) => new("Config.InvalidCidr",
        $"{field} '{text}' is not a CIDR; write an address and prefix such as 10.96.0.0/12 or fd00:10:96::/108 (two, comma-separated, for dual-stack).",
        KubeErrorCategory.InvalidArgument, text, "Fix the subnet notation.");

    internal static KubeException BadEndpoint(string text) => new("Config.InvalidEndpoint",
        $"controlPlaneEndpoint '{text}' is not a valid host[:port]: use an IP address or lower-case DNS name, optionally with a port 1-65535 (e.g. k8s-api.example.internal:6443, 10.0.0.100:6443, [fd00::10]:6443).",
        KubeErrorCategory.InvalidArgument, text, "Give the load balancer's DNS name or IP, with :6443 if needed.");

    internal static KubeException BadAddress(string text, string field) => new("Config.InvalidAddress",
        $"{field} '{text}' is not an IP address; give the node's IPv4 or IPv6 address (e.g. 10.0.0.11), not a host name.",
        KubeErrorCategory.InvalidArgument, text, "Give an IP address of this node.");

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex FlagName();

    [GeneratedRegex(@"^sha256:[0-9a-fA-F]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex CaHash();

    [GeneratedRegex(@"^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex TokenGroup();

    [GeneratedRegex(@"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedName();

    // distribution/reference: domain (with optional port) then path components of lower-case alphanumerics joined by separators.
    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex ImageRepository();

    sealed class Collector
    {
        public readonly List<KubeException> Errors = [];
        public void Add(KubeException e) => Errors.Add(e);
        public void Add(string id, string message, object target, string action) =>
            Errors.Add(new KubeException(id, message, KubeErrorCategory.InvalidArgument, target, action));
    }
}
