using KubePS.Core.Bootstrap;
using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KubePS.Core.Configuration;

/// <summary>The kubeadm configuration API versions KubePS reads and writes.</summary>
public static class KubeadmApi
{
    public const string Group = "kubeadm.k8s.io";

    /// <summary>kubeadm.k8s.io versions KubePS reads (v1beta1 is gone from every minor that still matters; migrate it with kubeadm config migrate).</summary>
    public static IReadOnlyList<string> ReadableVersions { get; } = ["v1beta2", "v1beta3", "v1beta4"];

    /// <summary>kubeadm.k8s.io versions KubePS writes.</summary>
    public static IReadOnlyList<string> WritableVersions { get; } = ["v1beta2", "v1beta3", "v1beta4"];

    internal static int Level(string version) => version switch
    {
        "v1beta2" => 2,
        "v1beta3" => 3,
        "v1beta4" => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "not a kubeadm API version KubePS knows"),
    };

    internal static string VersionOf(int level) => $"v1beta{level}";

    internal static string[] KindsOf(int level) => level >= 4
        ? ["InitConfiguration", "ClusterConfiguration", "JoinConfiguration", "ResetConfiguration", "UpgradeConfiguration"]
        : ["InitConfiguration", "ClusterConfiguration", "JoinConfiguration"];
}

/// <summary>
/// Reads multi-document kubeadm configuration YAML into a <see cref="KubeClusterConfiguration"/>. The reader walks
/// YamlDotNet's node tree with kubeadm's schema for the document's apiVersion, so that an unknown field is reported
/// with its name, path, document kind and line (<c>Config.UnknownField</c>), a value of the wrong shape with its line
/// (<c>Config.InvalidValue</c>), and unparseable YAML with line and column (<c>Config.InvalidYaml</c>).
/// </summary>
internal sealed class KubeadmYamlReader
{
    readonly string _source;
    readonly List<ConfigurationWarning> _warnings = [];
    string _kind = "";
    string _apiVersion = "";
    int _level;

    KubeadmYamlReader(string source) => _source = source;

    public static KubeClusterConfiguration Read(string text, string? source)
    {
        var reader = new KubeadmYamlReader(source ?? "<input>");
        return reader.ReadAll(text);
    }

    KubeClusterConfiguration ReadAll(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new KubeException("Config.InvalidYaml",
                $"{_source} is not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {Clean(e.Message)}",
                KubeErrorCategory.InvalidData, _source, "Fix the YAML syntax at that position (indentation with spaces, no tabs; one key per line).", e);
        }

        var cfg = new KubeClusterConfiguration { SourcePath = _source == "<input>" ? null : _source };
        string? kubeadmVersion = null;
        int index = 0;
        foreach (var doc in stream.Documents)
        {
            index++;
            var root = doc.RootNode;
            if (root is YamlScalarNode empty && IsNull(empty)) continue;   // "---" with nothing after it
            if (root is not YamlMappingNode map)
                throw new KubeException("Config.InvalidYaml",
                    $"Document {index} of {_source} (line {root.Start.Line}) is not a mapping of fields; every document needs apiVersion and kind.",
                    KubeErrorCategory.InvalidData, _source, "Start each document with apiVersion: and kind: lines.");

            string? apiVersion = TopString(map, "apiVersion"), kind = TopString(map, "kind");
            if (apiVersion is null || kind is null)
                throw new KubeException("Config.UnknownKind",
                    $"Document {index} of {_source} (line {root.Start.Line}) has no {(apiVersion is null ? "apiVersion" : "kind")}. {ValidKinds()}",
                    KubeErrorCategory.InvalidData, _source, "Add apiVersion and kind to the document.");

            if (apiVersion.StartsWith(KubeadmApi.Group + "/", StringComparison.Ordinal))
            {
                string version = apiVersion[(KubeadmApi.Group.Length + 1)..];
                if (!KubeadmApi.ReadableVersions.Contains(version))
                    throw new KubeException("Config.UnknownApiVersion",
                        $"{_source} line {root.Start.Line}: apiVersion {apiVersion} is not supported. {ValidKinds()}",
                        KubeErrorCategory.InvalidData, apiVersion,
                        version == "v1beta1" ? "Convert the file with 'kubeadm config migrate' to v1beta2 or newer." : "Use kubeadm.k8s.io/v1beta3 or v1beta4.");
                if (kubeadmVersion is not null && kubeadmVersion != version)
                    throw new KubeException("Config.MixedApiVersions",
                        $"{_source} line {root.Start.Line}: {kind} uses {apiVersion} but an earlier document uses {KubeadmApi.Group}/{kubeadmVersion}; all kubeadm documents of one file must use the same apiVersion.",
                        KubeErrorCategory.InvalidData, apiVersion, $"Write every kubeadm document as {KubeadmApi.Group}/{kubeadmVersion} (or all as {apiVersion}).");
                kubeadmVersion = version;
                _level = KubeadmApi.Level(version);
                _apiVersion = apiVersion;
                _kind = kind;
                if (!KubeadmApi.KindsOf(_level).Contains(kind))
                    throw UnknownKind(apiVersion, kind, root);
                switch (kind)
                {
                    case "InitConfiguration":
                        Once(cfg.Init, root);
                        cfg.Init = ReadInit(map);
                        break;
                    case "ClusterConfiguration":
                        if (cfg.ClusterGiven) throw Duplicate(root);
                        cfg.Cluster = ReadCluster(map);
                        cfg.ClusterGiven = true;
                        break;
                    case "JoinConfiguration":
                        Once(cfg.Join, root);
                        cfg.Join = ReadJoin(map);
                        break;
                    default:   // v1beta4 ResetConfiguration, UpgradeConfiguration: kept as written
                        if (cfg.ExtraDocuments.Any(d => d.Kind == kind)) throw Duplicate(root);
                        cfg.ExtraDocuments.Add(new KubeadmExtraDocument(ToConfigMapping(map)));
                        break;
                }
            }
            else if (apiVersion == KubeletConfiguration.ApiVersionValue && kind == KubeletConfiguration.KindValue)
            {
                _kind = kind; _apiVersion = apiVersion;
                Once(cfg.Kubelet, root);
                CheckComponentFields(map, ComponentConfigFields.Kubelet, kind, _warnings);
                cfg.Kubelet = new KubeletConfiguration(ToConfigMapping(map));
            }
            else if (apiVersion == KubeProxyConfiguration.ApiVersionValue && kind == KubeProxyConfiguration.KindValue)
            {
                _kind = kind; _apiVersion = apiVersion;
                Once(cfg.KubeProxy, root);
                CheckComponentFields(map, ComponentConfigFields.KubeProxy, kind, _warnings);
                cfg.KubeProxy = new KubeProxyConfiguration(ToConfigMapping(map));
            }
            else
            {
                throw UnknownKind(apiVersion, kind, root);
            }
        }
        if (index == 0 || (cfg.Init is null && !cfg.ClusterGiven && cfg.Join is null && cfg.Kubelet is null && cfg.KubeProxy is null && cfg.ExtraDocuments.Count == 0))
            throw new KubeException("Config.Empty", $"{_source} holds no configuration document. {ValidKinds()}",
                KubeErrorCategory.InvalidData, _source, "Give at least a ClusterConfiguration or an InitConfiguration.");
        cfg.SourceApiVersion = kubeadmVersion is null ? null : $"{KubeadmApi.Group}/{kubeadmVersion}";
        cfg.Warnings = _warnings;
        return cfg;
    }

    // ---------------------------------------------------------------- documents

    InitConfiguration ReadInit(YamlMappingNode map)
    {
        var init = new InitConfiguration();
        Fields(map, "", f => f
            .Add("bootstrapTokens", (n, p) => init.BootstrapTokens = List(n, p, ReadBootstrapToken))
            .Add("nodeRegistration", (n, p) => init.NodeRegistration = Obj(n, p, ReadNodeRegistration))
            .Add("localAPIEndpoint", (n, p) => init.LocalApiEndpoint = Obj(n, p, ReadApiEndpoint))
            .Add("certificateKey", (n, p) => init.CertificateKey = CertKey(n, p))
            .Add("skipPhases", (n, p) => init.SkipPhases = Strings(n, p), min: 3)
            .Add("patches", (n, p) => init.Patches = Obj(n, p, ReadPatches), min: 3)
            .Add("dryRun", (n, p) => init.DryRun = Bool(n, p), min: 4)
            .Add("timeouts", (n, p) => init.Timeouts = Obj(n, p, ReadTimeouts), min: 4));
        return init;
    }

    ClusterConfiguration ReadCluster(YamlMappingNode map)
    {
        var c = new ClusterConfiguration();
        Fields(map, "", f => f
            .Add("etcd", (n, p) => c.Etcd = Obj(n, p, ReadEtcd))
            .Add("networking", (n, p) => c.Networking = Obj(n, p, ReadNetworking))
            .Add("kubernetesVersion", (n, p) => c.KubernetesVersion = Str(n, p))
            .Add("controlPlaneEndpoint", (n, p) => c.ControlPlaneEndpoint = Str(n, p))
            .Add("apiServer", (n, p) => c.ApiServer = Obj(n, p, ReadApiServer))
            .Add("controllerManager", (n, p) => c.ControllerManager = Obj(n, p, ReadComponent))
            .Add("scheduler", (n, p) => c.Scheduler = Obj(n, p, ReadComponent))
            .Add("dns", (n, p) => c.Dns = Obj(n, p, ReadDns))
            .Add("proxy", (n, p) => c.Proxy = Obj(n, p, ReadProxy), min: 4)
            .Add("certificatesDir", (n, p) => c.CertificatesDir = Str(n, p))
            .Add("imageRepository", (n, p) => c.ImageRepository = Str(n, p))
            .Add("useHyperKubeImage", (n, p) => RefuseTrue(n, p, "hyperkube images no longer exist; kubeadm deploys one image per component"), max: 2)
            .Add("featureGates", (n, p) => c.FeatureGates = BoolMap(n, p))
            .Add("clusterName", (n, p) => c.ClusterName = Str(n, p))
            .Add("encryptionAlgorithm", (n, p) => c.EncryptionAlgorithm = Str(n, p), min: 4)
            .Add("certificateValidityPeriod", (n, p) => c.CertificateValidityPeriod = Str(n, p), min: 4)
            .Add("caCertificateValidityPeriod", (n, p) => c.CACertificateValidityPeriod = Str(n, p), min: 4));
        return c;
    }

    JoinConfiguration ReadJoin(YamlMappingNode map)
    {
        var j = new JoinConfiguration();
        Fields(map, "", f => f
            .Add("nodeRegistration", (n, p) => j.NodeRegistration = Obj(n, p, ReadNodeRegistration))
            .Add("caCertPath", (n, p) => j.CACertPath = Str(n, p))
            .Add("discovery", (n, p) => j.Discovery = Obj(n, p, ReadDiscovery))
            .Add("controlPlane", (n, p) => j.ControlPlane = Obj(n, p, ReadJoinControlPlane))
            .Add("skipPhases", (n, p) => j.SkipPhases = Strings(n, p), min: 3)
            .Add("patches", (n, p) => j.Patches = Obj(n, p, ReadPatches), min: 3)
            .Add("dryRun", (n, p) => j.DryRun = Bool(n, p), min: 4)
            .Add("timeouts", (n, p) => j.Timeouts = Obj(n, p, ReadTimeouts), min: 4));
        return j;
    }

    // ---------------------------------------------------------------- parts

    BootstrapToken ReadBootstrapToken(YamlMappingNode m, string path)
    {
        var t = new BootstrapToken();
        Fields(m, path, f => f
            .Add("token", (n, p) => t.Token = Token(n, p))
            .Add("description", (n, p) => t.Description = Str(n, p))
            .Add("ttl", (n, p) => t.Ttl = Str(n, p))
            .Add("expires", (n, p) => t.Expires = Str(n, p))
            .Add("usages", (n, p) => t.Usages = Strings(n, p))
            .Add("groups", (n, p) => t.Groups = Strings(n, p)));
        return t;
    }

    NodeRegistrationOptions ReadNodeRegistration(YamlMappingNode m, string path)
    {
        var r = new NodeRegistrationOptions();
        Fields(m, path, f => f
            .Add("name", (n, p) => r.Name = Str(n, p))
            .Add("criSocket", (n, p) => r.CriSocket = Str(n, p))
            .Add("taints", (n, p) => r.Taints = List(n, p, ReadTaint))
            .Add("kubeletExtraArgs", (n, p) => r.KubeletExtraArgs = Args(n, p))
            .Add("ignorePreflightErrors", (n, p) => r.IgnorePreflightErrors = Strings(n, p))
            .Add("imagePullPolicy", (n, p) => r.ImagePullPolicy = Str(n, p), min: 3)
            .Add("imagePullSerial", (n, p) => r.ImagePullSerial = Bool(n, p), min: 4));
        return r;
    }

    KubeTaint ReadTaint(YamlMappingNode m, string path)
    {
        var t = new KubeTaint();
        Fields(m, path, f => f
            .Add("key", (n, p) => t.Key = Str(n, p))
            .Add("value", (n, p) => t.Value = Str(n, p))
            .Add("effect", (n, p) => t.Effect = Str(n, p))
            .Add("timeAdded", (n, p) => t.TimeAdded = Str(n, p)));
        return t;
    }

    ApiEndpoint ReadApiEndpoint(YamlMappingNode m, string path)
    {
        var e = new ApiEndpoint();
        Fields(m, path, f => f
            .Add("advertiseAddress", (n, p) => e.AdvertiseAddress = Str(n, p))
            .Add("bindPort", (n, p) => e.BindPort = Int(n, p)));
        return e;
    }

    KubeadmPatches ReadPatches(YamlMappingNode m, string path)
    {
        var x = new KubeadmPatches();
        Fields(m, path, f => f.Add("directory", (n, p) => x.Directory = Str(n, p)));
        return x;
    }

    KubeadmTimeouts ReadTimeouts(YamlMappingNode m, string path)
    {
        var t = new KubeadmTimeouts();
        Fields(m, path, f => f
            .Add("controlPlaneComponentHealthCheck", (n, p) => t.ControlPlaneComponentHealthCheck = Str(n, p))
            .Add("kubeletHealthCheck", (n, p) => t.KubeletHealthCheck = Str(n, p))
            .Add("kubernetesAPICall", (n, p) => t.KubernetesApiCall = Str(n, p))
            .Add("etcdAPICall", (n, p) => t.EtcdApiCall = Str(n, p))
            .Add("tlsBootstrap", (n, p) => t.TlsBootstrap = Str(n, p))
            .Add("discovery", (n, p) => t.Discovery = Str(n, p))
            .Add("upgradeManifests", (n, p) => t.UpgradeManifests = Str(n, p)));
        return t;
    }

    EtcdOptions ReadEtcd(YamlMappingNode m, string path)
    {
        var e = new EtcdOptions();
        Fields(m, path, f => f
            .Add("local", (n, p) => e.Local = Obj(n, p, ReadLocalEtcd))
            .Add("external", (n, p) => e.External = Obj(n, p, ReadExternalEtcd)));
        return e;
    }

    LocalEtcdOptions ReadLocalEtcd(YamlMappingNode m, string path)
    {
        var l = new LocalEtcdOptions();
        Fields(m, path, f => f
            .Add("imageRepository", (n, p) => l.ImageRepository = Str(n, p))
            .Add("imageTag", (n, p) => l.ImageTag = Str(n, p))
            .Add("dataDir", (n, p) => l.DataDir = Str(n, p))
            .Add("extraArgs", (n, p) => l.ExtraArgs = Args(n, p))
            .Add("extraEnvs", (n, p) => l.ExtraEnvs = List(n, p, ReadEnv), min: 4)
            .Add("serverCertSANs", (n, p) => l.ServerCertSANs = Strings(n, p))
            .Add("peerCertSANs", (n, p) => l.PeerCertSANs = Strings(n, p)));
        return l;
    }

    ExternalEtcdOptions ReadExternalEtcd(YamlMappingNode m, string path)
    {
        var x = new ExternalEtcdOptions();
        Fields(m, path, f => f
            .Add("endpoints", (n, p) => x.Endpoints = Strings(n, p))
            .Add("caFile", (n, p) => x.CAFile = Str(n, p))
            .Add("certFile", (n, p) => x.CertFile = Str(n, p))
            .Add("keyFile", (n, p) => x.KeyFile = Str(n, p)));
        return x;
    }

    NetworkingOptions ReadNetworking(YamlMappingNode m, string path)
    {
        var x = new NetworkingOptions();
        Fields(m, path, f => f
            .Add("serviceSubnet", (n, p) => x.ServiceSubnet = Str(n, p))
            .Add("podSubnet", (n, p) => x.PodSubnet = Str(n, p))
            .Add("dnsDomain", (n, p) => x.DnsDomain = Str(n, p)));
        return x;
    }

    ApiServerOptions ReadApiServer(YamlMappingNode m, string path)
    {
        var a = new ApiServerOptions();
        Fields(m, path, f => ComponentFields(f, a)
            .Add("certSANs", (n, p) => a.CertSANs = Strings(n, p))
            .Add("timeoutForControlPlane", (n, p) => a.TimeoutForControlPlane = Str(n, p), max: 3));
        return a;
    }

    ControlPlaneComponentOptions ReadComponent(YamlMappingNode m, string path)
    {
        var c = new ControlPlaneComponentOptions();
        Fields(m, path, f => ComponentFields(f, c));
        return c;
    }

    FieldSet ComponentFields(FieldSet f, ControlPlaneComponentOptions c) => f
        .Add("extraArgs", (n, p) => c.ExtraArgs = Args(n, p))
        .Add("extraVolumes", (n, p) => c.ExtraVolumes = List(n, p, ReadVolume))
        .Add("extraEnvs", (n, p) => c.ExtraEnvs = List(n, p, ReadEnv), min: 4);

    HostPathMount ReadVolume(YamlMappingNode m, string path)
    {
        var v = new HostPathMount();
        Fields(m, path, f => f
            .Add("name", (n, p) => v.Name = Str(n, p))
            .Add("hostPath", (n, p) => v.HostPath = Str(n, p))
            .Add("mountPath", (n, p) => v.MountPath = Str(n, p))
            .Add("readOnly", (n, p) => v.ReadOnly = Bool(n, p))
            .Add("pathType", (n, p) => v.PathType = Str(n, p)));
        return v;
    }

    KubeEnvVar ReadEnv(YamlMappingNode m, string path)
    {
        var e = new KubeEnvVar();
        Fields(m, path, f => f
            .Add("name", (n, p) => e.Name = Str(n, p))
            .Add("value", (n, p) => e.Value = Str(n, p))
            .Add("valueFrom", (n, p) => e.ValueFrom = Obj(n, p, (mm, _) => ToConfigMapping(mm))));
        return e;
    }

    DnsOptions ReadDns(YamlMappingNode m, string path)
    {
        var d = new DnsOptions();
        Fields(m, path, f => f
            .Add("type", (n, p) =>
            {
                // v1beta2 only: CoreDNS is the one DNS addon KubePS deploys (kube-dns was removed in 1.21).
                var v = Str(n, p);
                if (v is not null && v != "CoreDNS")
                    throw Invalid(n, p, $"'{v}' is not supported; KubePS deploys CoreDNS only (kube-dns was removed from kubeadm in 1.21)", "Remove dns.type or set it to CoreDNS.");
            }, max: 2)
            .Add("imageRepository", (n, p) => d.ImageRepository = Str(n, p))
            .Add("imageTag", (n, p) => d.ImageTag = Str(n, p))
            .Add("disabled", (n, p) => d.Disabled = Bool(n, p), min: 4));
        return d;
    }

    ProxyOptions ReadProxy(YamlMappingNode m, string path)
    {
        var x = new ProxyOptions();
        Fields(m, path, f => f.Add("disabled", (n, p) => x.Disabled = Bool(n, p)));
        return x;
    }

    DiscoveryOptions ReadDiscovery(YamlMappingNode m, string path)
    {
        var d = new DiscoveryOptions();
        Fields(m, path, f => f
            .Add("bootstrapToken", (n, p) => d.BootstrapToken = Obj(n, p, ReadTokenDiscovery))
            .Add("file", (n, p) => d.File = Obj(n, p, ReadFileDiscovery))
            .Add("tlsBootstrapToken", (n, p) => d.TlsBootstrapToken = Token(n, p))
            .Add("timeout", (n, p) => d.Timeout = Str(n, p), max: 3));
        return d;
    }

    BootstrapTokenDiscovery ReadTokenDiscovery(YamlMappingNode m, string path)
    {
        var b = new BootstrapTokenDiscovery();
        Fields(m, path, f => f
            .Add("token", (n, p) => b.Token = Token(n, p))
            .Add("apiServerEndpoint", (n, p) => b.ApiServerEndpoint = Str(n, p))
            .Add("caCertHashes", (n, p) => b.CACertHashes = Strings(n, p))
            .Add("unsafeSkipCAVerification", (n, p) => b.UnsafeSkipCAVerification = Bool(n, p)));
        return b;
    }

    FileDiscovery ReadFileDiscovery(YamlMappingNode m, string path)
    {
        var x = new FileDiscovery();
        Fields(m, path, f => f.Add("kubeConfigPath", (n, p) => x.KubeConfigPath = Str(n, p)));
        return x;
    }

    JoinControlPlane ReadJoinControlPlane(YamlMappingNode m, string path)
    {
        var x = new JoinControlPlane();
        Fields(m, path, f => f
            .Add("localAPIEndpoint", (n, p) => x.LocalApiEndpoint = Obj(n, p, ReadApiEndpoint))
            .Add("certificateKey", (n, p) => x.CertificateKey = CertKey(n, p)));
        return x;
    }

    // ---------------------------------------------------------------- field dispatch

    sealed class FieldSet
    {
        public readonly List<(string Name, Action<YamlNode, string> Read, int Min, int Max)> Items = [];

        public FieldSet Add(string name, Action<YamlNode, string> read, int min = 2, int max = 4)
        {
            Items.Add((name, read, min, max));
            return this;
        }
    }

    /// <summary>Dispatches each field of a mapping to its reader; a field the document's API version lacks is Config.UnknownField.</summary>
    void Fields(YamlMappingNode map, string path, Func<FieldSet, FieldSet> declare)
    {
        var set = declare(new FieldSet());
        bool topLevel = path.Length == 0;
        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode keyScalar || keyScalar.Value is null)
                throw Invalid(keyNode, path, "a field name must be a plain string", "Use field names as plain keys.");
            string key = keyScalar.Value;
            if (topLevel && key is "apiVersion" or "kind") continue;
            string fieldPath = path.Length == 0 ? key : $"{path}.{key}";
            var field = set.Items.FirstOrDefault(i => i.Name == key);
            if (field.Name is null || _level < field.Min || _level > field.Max)
                throw UnknownField(keyScalar, fieldPath, set, field.Name is null ? null : (field.Min, field.Max));
            field.Read(value, fieldPath);
        }
    }

    KubeException UnknownField(YamlScalarNode key, string fieldPath, FieldSet set, (int Min, int Max)? elsewhere)
    {
        var valid = set.Items.Where(i => _level >= i.Min && _level <= i.Max).Select(i => i.Name).OrderBy(n => n, StringComparer.Ordinal);
        string hint = "";
        if (elsewhere is { } range)
        {
            var versions = Enumerable.Range(range.Min, range.Max - range.Min + 1).Select(l => $"{KubeadmApi.Group}/{KubeadmApi.VersionOf(l)}");
            hint = $" '{key.Value}' exists only in {string.Join(", ", versions)}.";
        }
        else
        {
            var near = set.Items.FirstOrDefault(i => string.Equals(i.Name, key.Value, StringComparison.OrdinalIgnoreCase));
            if (near.Name is not null) hint = $" Did you mean '{near.Name}'? Field names are case-sensitive.";
        }
        return new KubeException("Config.UnknownField",
            $"Unknown field '{fieldPath}' in {_kind} ({_apiVersion}) at line {key.Start.Line}, column {key.Start.Column} of {_source}.{hint} Valid fields there: {string.Join(", ", valid)}.",
            KubeErrorCategory.InvalidData, fieldPath, "Remove or rename the field; kubeadm rejects unknown fields too.");
    }

    // ---------------------------------------------------------------- component configs

    /// <summary>
    /// Walks a KubeletConfiguration or KubeProxyConfiguration with its known field names and adds a warning for each
    /// field none of the supported Kubernetes releases knows. kubeadm init/join decode these documents strictly and only
    /// warn (kubeadm config validate makes it an error), and the kubelet and kube-proxy ignore such a field, so a
    /// misspelt name silently changes nothing; KubePS warns the same way and keeps the document as written.
    /// </summary>
    void CheckComponentFields(YamlMappingNode map, ComponentFieldSet set, string path, List<ConfigurationWarning> warnings)
    {
        bool topLevel = path == _kind;
        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } keyScalar)
                throw Invalid(keyNode, path, "a field name must be a plain string", "Use field names as plain keys.");
            if (topLevel && key is "apiVersion" or "kind") continue;
            string fieldPath = $"{path}.{key}";
            var field = set.Find(key);
            if (field is null)
            {
                warnings.Add(UnknownComponentField(keyScalar, fieldPath, ComponentConfigFields.Suggest(key, set)));
                continue;
            }
            switch (field.Kind)
            {
                case ComponentFieldKind.Struct when value is YamlMappingNode child:
                    CheckComponentFields(child, field.Children!, fieldPath, warnings);
                    break;
                case ComponentFieldKind.ListOfStructs when value is YamlSequenceNode list:
                    int i = 0;
                    foreach (var item in list.Children)
                    {
                        if (item is YamlMappingNode entry) CheckComponentFields(entry, field.Children!, $"{fieldPath}[{i}]", warnings);
                        i++;
                    }
                    break;
            }
        }
    }

    ConfigurationWarning UnknownComponentField(YamlScalarNode key, string fieldPath, string? suggestion)
    {
        string hint = suggestion is null ? ""
            : string.Equals(suggestion, key.Value, StringComparison.OrdinalIgnoreCase)
                ? $" Did you mean {suggestion}? Field names are case-sensitive."
                : $" Did you mean {suggestion}?";
        return new ConfigurationWarning
        {
            WarningId = "Config.UnknownComponentField",
            Kind = _kind,
            ApiVersion = _apiVersion,
            FieldPath = fieldPath,
            Line = (int)key.Start.Line,
            Column = (int)key.Start.Column,
            Source = _source,
            Suggestion = suggestion,
            Message = $"Unknown field '{fieldPath}' ({_apiVersion}) at line {key.Start.Line}, column {key.Start.Column} of {_source}: " +
                $"no {_kind} from Kubernetes 1.18 on has it, so it has no effect.{hint} kubeadm warns about it too and goes on.",
        };
    }

    // ---------------------------------------------------------------- values

    static bool IsNull(YamlScalarNode s) =>
        s.Style is ScalarStyle.Plain or ScalarStyle.Any && s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    static bool IsNullNode(YamlNode n) => n is YamlScalarNode s && IsNull(s);

    string? Str(YamlNode n, string path)
    {
        if (n is YamlScalarNode s) return IsNull(s) ? null : s.Value;
        throw Invalid(n, path, $"expected a single value but found a {(n is YamlSequenceNode ? "list" : "mapping")}", "Give a plain value.");
    }

    long? Int(YamlNode n, string path)
    {
        var text = Str(n, path);
        if (text is null) return null;
        if (n is YamlScalarNode { Style: ScalarStyle.Plain } && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)) return v;
        throw Invalid(n, path, $"'{text}' is not a whole number", "Give a number without quotes, e.g. 6443.");
    }

    bool? Bool(YamlNode n, string path)
    {
        var text = Str(n, path);
        if (text is null) return null;
        if (n is YamlScalarNode { Style: ScalarStyle.Plain })
        {
            if (text is "true" or "True" or "TRUE") return true;
            if (text is "false" or "False" or "FALSE") return false;
        }
        throw Invalid(n, path, $"'{text}' is not true or false", "Write true or false without quotes.");
    }

    void RefuseTrue(YamlNode n, string path, string why)
    {
        if (Bool(n, path) == true) throw Invalid(n, path, $"true is not supported: {why}", $"Remove {path}.");
    }

    List<string>? Strings(YamlNode n, string path)
    {
        if (IsNullNode(n)) return null;
        if (n is not YamlSequenceNode seq) throw Invalid(n, path, "expected a list", "Write the values as a YAML list (one '- value' per line).");
        var list = new List<string>();
        int i = 0;
        foreach (var item in seq.Children)
            list.Add(Str(item, $"{path}[{i++}]") ?? "");
        return list;
    }

    List<T>? List<T>(YamlNode n, string path, Func<YamlMappingNode, string, T> read)
    {
        if (IsNullNode(n)) return null;
        if (n is not YamlSequenceNode seq) throw Invalid(n, path, "expected a list", "Write the entries as a YAML list.");
        var list = new List<T>();
        int i = 0;
        foreach (var item in seq.Children)
        {
            string p = $"{path}[{i++}]";
            if (item is not YamlMappingNode m) throw Invalid(item, p, "expected a mapping of fields", "Write each entry as fields (key: value).");
            list.Add(read(m, p));
        }
        return list;
    }

    T? Obj<T>(YamlNode n, string path, Func<YamlMappingNode, string, T> read) where T : class
    {
        if (IsNullNode(n)) return null;
        if (n is not YamlMappingNode m) throw Invalid(n, path, "expected a mapping of fields", "Write the fields indented under the key.");
        return read(m, path);
    }

    Dictionary<string, bool>? BoolMap(YamlNode n, string path)
    {
        if (IsNullNode(n)) return null;
        if (n is not YamlMappingNode m) throw Invalid(n, path, "expected a mapping of name: true|false", "Write one 'Name: true' per line.");
        var d = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (k, v) in m.Children)
        {
            string key = (k as YamlScalarNode)?.Value ?? throw Invalid(k, path, "a name must be a plain string", "Use plain names.");
            d[key] = Bool(v, $"{path}.{key}") ?? throw Invalid(v, $"{path}.{key}", "a value is required", "Write true or false.");
        }
        return d;
    }

    /// <summary>
    /// extraArgs / kubeletExtraArgs: a name: value mapping in v1beta2/v1beta3, a list of {name, value} in v1beta4;
    /// both become an ordered list of <see cref="KubeArg"/>.
    /// </summary>
    List<KubeArg>? Args(YamlNode n, string path)
    {
        if (IsNullNode(n)) return null;
        var list = new List<KubeArg>();
        if (_level <= 3)
        {
            if (n is not YamlMappingNode m)
                throw Invalid(n, path, $"expected a mapping of flag: value in {_apiVersion}", "Write one 'flag-name: value' per line (the name without leading dashes).");
            foreach (var (k, v) in m.Children)
            {
                string key = (k as YamlScalarNode)?.Value ?? throw Invalid(k, path, "a flag name must be a plain string", "Use plain flag names.");
                list.Add(new KubeArg(key, Str(v, $"{path}.{key}") ?? ""));
            }
            // kubeadm converts a v1beta2/v1beta3 map into its argument list sorted by name (then value), so a map's
            // order in the file carries no meaning and the model holds kubeadm's order.
            return list.OrderBy(a => a.Name, StringComparer.Ordinal).ThenBy(a => a.Value, StringComparer.Ordinal).ToList();
        }
        if (n is not YamlSequenceNode seq)
            throw Invalid(n, path, $"expected a list of name/value entries in {_apiVersion}", "Write each flag as '- name: flag-name' with 'value: ...' below it.");
        int i = 0;
        foreach (var item in seq.Children)
        {
            string p = $"{path}[{i++}]";
            if (item is not YamlMappingNode m) throw Invalid(item, p, "expected name and value fields", "Write '- name: flag-name' and 'value: ...'.");
            string? name = null, value = null;
            Fields(m, p, f => f
                .Add("name", (nn, pp) => name = Str(nn, pp))
                .Add("value", (nn, pp) => value = Str(nn, pp)));
            if (name is null) throw Invalid(item, p, "the argument has no name", "Give each extra argument a name.");
            list.Add(new KubeArg(name, value ?? ""));
        }
        return list;
    }

    BootstrapTokenString? Token(YamlNode n, string path)
    {
        var text = Str(n, path);
        if (text is null) return null;
        if (BootstrapTokenString.TryParse(text, out var t)) return t;
        var e = BootstrapTokenString.Invalid(text, path);
        throw new KubeException(e.ErrorId, $"{e.Message} ({_kind}, line {n.Start.Line} of {_source})", e.Category, e.Target, e.RecommendedAction);
    }

    CertificateKey? CertKey(YamlNode n, string path)
    {
        var text = Str(n, path);
        if (text is null) return null;
        if (CertificateKey.TryParse(text, out var k)) return k;
        try { CertificateKey.Parse(text, path); }
        catch (KubeException e)
        {
            throw new KubeException(e.ErrorId, $"{e.Message} ({_kind}, line {n.Start.Line} of {_source})", e.Category, e.Target, e.RecommendedAction);
        }
        return null;
    }

    KubeException Invalid(YamlNode n, string path, string what, string action) =>
        new("Config.InvalidValue", $"{path} in {_kind} ({_apiVersion}) at line {n.Start.Line}, column {n.Start.Column} of {_source}: {what}.",
            KubeErrorCategory.InvalidData, path, action);

    KubeException UnknownKind(string apiVersion, string kind, YamlNode at) =>
        new("Config.UnknownKind", $"{_source} line {at.Start.Line}: {kind} ({apiVersion}) is not a configuration KubePS reads. {ValidKinds()}",
            KubeErrorCategory.InvalidData, $"{apiVersion}/{kind}", "Use one of the listed apiVersion/kind pairs.");

    KubeException Duplicate(YamlNode at) =>
        new("Config.DuplicateDocument", $"{_source} line {at.Start.Line}: a second {_kind} document; each kind may appear once.",
            KubeErrorCategory.InvalidData, _kind, "Merge the two documents into one.");

    void Once(object? existing, YamlNode at)
    {
        if (existing is not null) throw Duplicate(at);
    }

    static string ValidKinds() =>
        "Valid documents: InitConfiguration, ClusterConfiguration and JoinConfiguration of kubeadm.k8s.io/v1beta2, kubeadm.k8s.io/v1beta3 or kubeadm.k8s.io/v1beta4; " +
        "ResetConfiguration and UpgradeConfiguration of kubeadm.k8s.io/v1beta4; KubeletConfiguration of kubelet.config.k8s.io/v1beta1; " +
        "KubeProxyConfiguration of kubeproxy.config.k8s.io/v1alpha1.";

    static string? TopString(YamlMappingNode map, string key)
    {
        foreach (var (k, v) in map.Children)
            if (k is YamlScalarNode ks && ks.Value == key)
                return v is YamlScalarNode s && !IsNull(s) ? s.Value : null;
        return null;
    }

    static string Clean(string message) => message.Replace("\r", " ").Replace("\n", " ").Trim();

    /// <summary>Copies a YamlDotNet node tree into KubePS's own <see cref="ConfigNode"/> tree.</summary>
    internal static ConfigNode ToConfigNode(YamlNode node)
    {
        ConfigNode result = node switch
        {
            YamlScalarNode s => new ConfigScalar(s.Value ?? "", s.Style is not (ScalarStyle.Plain or ScalarStyle.Any)),
            YamlSequenceNode q => new ConfigSequence(q.Children.Select(ToConfigNode)),
            YamlMappingNode m => ToConfigMapping(m),
            _ => throw new InvalidOperationException($"unexpected YAML node {node.GetType().Name}"),
        };
        result.Line = (int)node.Start.Line;
        result.Column = (int)node.Start.Column;
        return result;
    }

    internal static ConfigMapping ToConfigMapping(YamlMappingNode m)
    {
        var map = new ConfigMapping { Line = (int)m.Start.Line, Column = (int)m.Start.Column };
        foreach (var (k, v) in m.Children)
            map[(k as YamlScalarNode)?.Value ?? k.ToString()] = ToConfigNode(v);
        return map;
    }
}
