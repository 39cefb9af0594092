using System.Collections;
using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text;
using KubePS.Core.Manifests.Yaml;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Manifests;

/// <summary>
/// Renders what kubeadm's <c>kubelet-start</c> phase writes into /var/lib/kubelet (facts §4):
/// <list type="bullet">
/// <item><c>config.yaml</c>: the KubeletConfiguration (kubelet.config.k8s.io/v1beta1) kubeadm serializes. Its Go struct
/// is written whole, so besides kubeadm's enforced values it holds the struct's non-omitempty zero values (durations
/// <c>0s</c>, <c>logging</c>, <c>memorySwap: {}</c>, ...), whose set depends on the vendored kubelet API of each minor
/// (catalog features <c>kubelet-config.*</c>). The user's document is merged over that, then kubeadm's defaults fill
/// what is still unset.</item>
/// <item><c>kubeadm-flags.env</c>: <c>KUBELET_KUBEADM_ARGS="..."</c> with the per-version node flags merged with
/// kubeletExtraArgs.</item>
/// <item><c>instance-config.yaml</c> (1.34+, NodeLocalCRISocket): the node's CRI socket, patched into config.yaml
/// instead of being passed as a flag.</item>
/// </list>
/// </summary>
public static class KubeletFiles
{
    public const string KubeletDir = "/var/lib/kubelet";
    public const string ConfigPath = KubeletDir + "/config.yaml";
    public const string FlagsPath = KubeletDir + "/kubeadm-flags.env";
    public const string InstanceConfigPath = KubeletDir + "/instance-config.yaml";

    /// <summary>Mode of /var/lib/kubelet (0700) for the applier; the files in it are 0644.</summary>
    public const int KubeletDirMode = 0b111_000_000;
    public const int FileMode = 0b110_100_100;

    const string DockershimSocket = "/var/run/dockershim.sock";
    const string SystemdResolvConf = "/run/systemd/resolve/resolv.conf";

    /// <summary>Every file of kubelet-start for this node: kubeadm-flags.env, config.yaml and, when used, instance-config.yaml.</summary>
    public static IReadOnlyList<NodeFile> KubeletStart(KubeletRequest request)
    {
        var files = new List<NodeFile> { FlagsEnv(request) };
        if (InstanceConfig(request) is { } instance) files.Add(instance);
        files.Add(Config(request).File);
        return files;
    }

    // ---------------------------------------------------------------- config.yaml

    /// <summary>config.yaml for an initializing node, and the cluster-wide document for the kubelet-config ConfigMap.</summary>
    public static KubeletConfigResult Config(KubeletRequest request)
    {
        var (release, _) = Check(request);
        var warnings = new List<string>();
        var doc = BaseDocument(release);
        if (request.KubeletConfiguration is { } text && !string.IsNullOrWhiteSpace(text))
            Merge(doc, UserDocument(GoYaml.Parse(text, "KubeletConfiguration"), "KubeletConfiguration"));
        if (request.KubeletConfigurationValues is { } values)
            Merge(doc, UserDocument(FromObject(values, "KubeletConfigurationValues"), "KubeletConfigurationValues"));
        NormalizeDurations(doc);
        ApplyDefaults(doc, request, release, warnings);
        MutateForNode(doc, request, release, warnings);

        string cluster = GoYaml.Emit(doc);
        ApplyInstanceConfig(doc, request, release);
        return new KubeletConfigResult(new NodeFile(ConfigPath, Utf8(GoYaml.Emit(doc)), FileMode), cluster, warnings);
    }

    /// <summary>
    /// config.yaml for a joining node, from the kubelet-config ConfigMap's <c>kubelet</c> document: read and written back
    /// the way kubeadm decodes and re-encodes it, with this node's resolv.conf rule and (1.34+) CRI socket applied.
    /// </summary>
    public static NodeFile ConfigFromCluster(string clusterDocument, KubeletRequest request)
    {
        var (release, _) = Check(request);
        var doc = UserDocument(GoYaml.Parse(clusterDocument, "kubelet-config ConfigMap"), "kubelet-config ConfigMap");
        var full = BaseDocument(release);
        Merge(full, doc);
        NormalizeDurations(full);
        MutateForNode(full, request, release, new List<string>());
        ApplyInstanceConfig(full, request, release);
        return new NodeFile(ConfigPath, Utf8(GoYaml.Emit(full)), FileMode);
    }

    /// <summary>instance-config.yaml (1.34+, NodeLocalCRISocket): the node's CRI socket; null for versions without it.</summary>
    public static NodeFile? InstanceConfig(KubeletRequest request)
    {
        var (release, socket) = Check(request);
        if (!release.Has("kubelet.node-local-cri-socket")) return null;
        return new NodeFile(InstanceConfigPath, Utf8($"containerRuntimeEndpoint: {GoQuote(socket)}\n"), FileMode);
    }

    /// <summary>The zero-valued KubeletConfiguration of this minor's vendored kubelet API, as Go serializes an empty struct.</summary>
    static YMap BaseDocument(ReleaseInfo release)
    {
        var doc = new YMap()
            .Set("apiVersion", "kubelet.config.k8s.io/v1beta1")
            .Set("kind", "KubeletConfiguration")
            .Set("cpuManagerReconcilePeriod", "0s")
            .Set("evictionPressureTransitionPeriod", "0s")
            .Set("fileCheckFrequency", "0s")
            .Set("httpCheckFrequency", "0s")
            .Set("imageMinimumGCAge", "0s")
            .Set("nodeStatusReportFrequency", "0s")
            .Set("nodeStatusUpdateFrequency", "0s")
            .Set("rotateCertificates", false)
            .Set("runtimeRequestTimeout", "0s")
            .Set("streamingConnectionIdleTimeout", "0s")
            .Set("syncFrequency", "0s")
            .Set("volumeStatsAggPeriod", "0s");
        doc.Map("authentication").Map("anonymous");
        doc.Map("authentication").Map("webhook").Set("cacheTTL", "0s");
        doc.Map("authentication").Map("x509");
        doc.Map("authorization").Map("webhook").Set("cacheAuthorizedTTL", "0s").Set("cacheUnauthorizedTTL", "0s");
        if (release.Has("kubelet-config.logging"))
        {
            var logging = doc.Map("logging");
            if (release.Has("kubelet-config.logging-options"))
            {
                logging.Set("flushFrequency", YScalar.Int(0)).Set("verbosity", YScalar.Int(0));
                logging.Map("options").Map("json").Set("infoBufferSize", "0");
                if (release.Has("kubelet-config.logging-text-options"))
                    logging.Map("options").Map("text").Set("infoBufferSize", "0");
            }
        }
        if (release.Has("kubelet-config.shutdown-grace-period"))
            doc.Set("shutdownGracePeriod", "0s").Set("shutdownGracePeriodCriticalPods", "0s");
        if (release.Has("kubelet-config.memory-swap")) doc.Map("memorySwap");
        if (release.Has("kubelet-config.container-runtime-endpoint")) doc.Set("containerRuntimeEndpoint", "");
        if (release.Has("kubelet-config.image-maximum-gc-age")) doc.Set("imageMaximumGCAge", "0s");
        if (release.Has("kubelet-config.crash-loop-backoff")) doc.Map("crashLoopBackOff");
        return doc;
    }

    static YMap UserDocument(YNode? node, string what)
    {
        if (node is null) return new YMap();
        if (node is not YMap map)
            throw new KubeException("Manifests.InvalidKubeletConfiguration", $"{what} must be a mapping (a KubeletConfiguration document).",
                KubeErrorCategory.InvalidData, what, "Give a document with kind: KubeletConfiguration.");
        if (map["apiVersion"] is YScalar av && av.Text != "kubelet.config.k8s.io/v1beta1")
            throw new KubeException("Manifests.InvalidKubeletConfiguration",
                $"{what} has apiVersion '{av.Text}'; kubeadm reads kubelet.config.k8s.io/v1beta1.",
                KubeErrorCategory.InvalidData, av.Text, "Use apiVersion: kubelet.config.k8s.io/v1beta1.");
        if (map["kind"] is YScalar k && k.Text != "KubeletConfiguration")
            throw new KubeException("Manifests.InvalidKubeletConfiguration", $"{what} has kind '{k.Text}', not KubeletConfiguration.",
                KubeErrorCategory.InvalidData, k.Text, "Use kind: KubeletConfiguration.");
        return map;
    }

    /// <summary>Deep merge: maps merge key by key; anything else from <paramref name="over"/> replaces.</summary>
    static void Merge(YMap into, YMap over)
    {
        foreach (var key in over.Keys.ToList())
        {
            var v = over[key]!;
            if (v is YMap om && into[key] is YMap im) Merge(im, om);
            else if (v is YScalar { Kind: YScalarKind.Null }) into.Remove(key);
            else into[key] = v.Clone();
        }
    }

    static readonly string[] DurationPaths =
    [
        "syncFrequency", "fileCheckFrequency", "httpCheckFrequency", "streamingConnectionIdleTimeout",
        "nodeStatusUpdateFrequency", "nodeStatusReportFrequency", "imageMinimumGCAge", "imageMaximumGCAge",
        "volumeStatsAggPeriod", "cpuManagerReconcilePeriod", "runtimeRequestTimeout", "evictionPressureTransitionPeriod",
        "shutdownGracePeriod", "shutdownGracePeriodCriticalPods", "containerLogMonitorInterval", "cpuCFSQuotaPeriod",
        "authentication.webhook.cacheTTL", "authorization.webhook.cacheAuthorizedTTL", "authorization.webhook.cacheUnauthorizedTTL",
        "crashLoopBackOff.maxContainerRestartPeriod",
    ];

    /// <summary>metav1.Duration fields are decoded and re-encoded by Go: "90s" becomes "1m30s".</summary>
    static void NormalizeDurations(YMap doc)
    {
        foreach (var path in DurationPaths)
        {
            var parts = path.Split('.');
            YMap? parent = doc;
            for (int i = 0; i < parts.Length - 1 && parent is not null; i++) parent = parent[parts[i]] as YMap;
            if (parent?[parts[^1]] is not YScalar s || s.Kind == YScalarKind.Null) continue;
            if (!GoDuration.TryParse(s.Text, out long ns))
                throw new KubeException("Manifests.InvalidKubeletConfiguration",
                    $"KubeletConfiguration {path} '{s.Text}' is not a duration (Go form such as 30s, 5m or 1h30m).",
                    KubeErrorCategory.InvalidData, s.Text, "Write durations like 2m0s.");
            parent[parts[^1]] = YScalar.Str(GoDuration.Format(ns));
        }
    }

    /// <summary>The values kubeadm's kubelet component-config defaulting fills in when unset, warning when a user value differs.</summary>
    static void ApplyDefaults(YMap doc, KubeletRequest r, ReleaseInfo release, List<string> warnings)
    {
        void Warn(string field, string kubeadmValue, string userValue) =>
            warnings.Add($"The recommended value for \"{field}\" in \"KubeletConfiguration\" is: {kubeadmValue}; the provided value is: {userValue}");

        SetString(doc, "staticPodPath", StaticPodManifests.ManifestsDir, Warn);

        string dns = ClusterDnsIP(r.ServiceSubnet);
        if (doc["clusterDNS"] is not YList list)
            doc.Set("clusterDNS", new YList().Add(YScalar.Str(dns)));
        else if (list.Items.Count != 1 || list.Items[0] is not YScalar { } one || one.Text != dns)
            Warn("clusterDNS", $"[{dns}]", "[" + string.Join(" ", list.Items.Select(i => i.ToString())) + "]");

        SetString(doc, "clusterDomain", r.DnsDomain, Warn);
        SetString(doc.Map("authentication").Map("x509"), "clientCAFile", $"{r.CertificatesDir}/ca.crt", Warn, "authentication.x509.clientCAFile");

        var anonymous = doc.Map("authentication").Map("anonymous");
        if (anonymous["enabled"] is not YScalar { Kind: YScalarKind.Bool } anon) anonymous.Set("enabled", false);
        else if (anon.Text == "true") Warn("authentication.anonymous.enabled", "false", "true");

        SetString(doc.Map("authorization"), "mode", "Webhook", Warn, "authorization.mode");

        var webhook = doc.Map("authentication").Map("webhook");
        if (webhook["enabled"] is not YScalar { Kind: YScalarKind.Bool } wh) webhook.Set("enabled", true);
        else if (wh.Text == "false") Warn("authentication.webhook.enabled", "true", "false");

        SetString(doc, "healthzBindAddress", "127.0.0.1", Warn);
        if (doc["healthzPort"] is not YScalar { Kind: YScalarKind.Int } port) doc.Set("healthzPort", 10248);
        else if (port.Text != "10248") Warn("healthzPort", "10248", port.Text);

        if (doc["readOnlyPort"] is YScalar ro && ro.Text != "0") Warn("readOnlyPort", "0", ro.Text);

        // kubeadm cannot tell an unset rotateCertificates from false, so it always sets it.
        doc.Set("rotateCertificates", true);

        bool noDriver = doc["cgroupDriver"] is not YScalar cd || cd.Text.Length == 0;
        if (noDriver && release.Has("kubelet-config.docker-cgroup-driver") && release.Has("kubelet.dockershim")
            && IsDockershim(Socket(r, release)) && !string.IsNullOrEmpty(r.DockerCgroupDriver))
            doc.Set("cgroupDriver", r.DockerCgroupDriver); // kubeadm ≤1.20 asked Docker
        else if (noDriver && release.Has("kubelet-config.cgroup-driver-systemd"))
            doc.Set("cgroupDriver", "systemd");

        // featureGates is an omitempty map: an empty one is not written.
        if (doc["featureGates"] is YMap { Count: 0 }) doc.Remove("featureGates");
    }

    /// <summary>Node-specific changes kubeadm makes before writing the file (its Mutate step): the systemd-resolved resolv.conf.</summary>
    static void MutateForNode(YMap doc, KubeletRequest r, ReleaseInfo release, List<string> warnings)
    {
        if (!r.SystemdResolvedActive || !release.Has("kubelet-config.resolv-conf")) return;
        if (doc["resolvConf"] is not YScalar rc || rc.Kind == YScalarKind.Null) doc.Set("resolvConf", SystemdResolvConf);
        else if (rc.Text != SystemdResolvConf)
            warnings.Add($"The recommended value for \"resolvConf\" in \"KubeletConfiguration\" is: {SystemdResolvConf}; the provided value is: {rc.Text}");
    }

    static void ApplyInstanceConfig(YMap doc, KubeletRequest r, ReleaseInfo release)
    {
        if (release.Has("kubelet.node-local-cri-socket")) doc.Set("containerRuntimeEndpoint", Socket(r, release));
    }

    static void SetString(YMap m, string key, string value, Action<string, string, string> warn, string? field = null)
    {
        if (m[key] is not YScalar s || s.Kind == YScalarKind.Null || s.Text.Length == 0) m.Set(key, value);
        else if (s.Text != value) warn(field ?? key, value, s.Text);
    }

    /// <summary>The DNS service address: the 10th address of the (first) service subnet, as kubeadm's GetDNSIP computes it.</summary>
    public static string ClusterDnsIP(string serviceSubnet)
    {
        var nets = ManifestValidation.Subnets(serviceSubnet, "networking.serviceSubnet", required: true);
        var net = nets[0];
        byte[] b = net.BaseAddress.GetAddressBytes();
        var value = new BigInteger(b, isUnsigned: true, isBigEndian: true) + 10;
        var size = BigInteger.Pow(2, b.Length * 8 - net.PrefixLength);
        if (size <= 10)
            throw new KubeException("Manifests.ServiceSubnetTooSmall", $"Service subnet {net} has fewer than 11 addresses; kubeadm needs its 10th for DNS.",
                KubeErrorCategory.InvalidArgument, serviceSubnet, "Use a larger subnet such as 10.96.0.0/12.");
        byte[] raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        byte[] addr = new byte[b.Length];
        Array.Copy(raw, 0, addr, addr.Length - raw.Length, raw.Length);
        return new IPAddress(addr).ToString();
    }

    // ---------------------------------------------------------------- kubeadm-flags.env

    /// <summary>/var/lib/kubelet/kubeadm-flags.env: <c>KUBELET_KUBEADM_ARGS="..."</c> and a newline.</summary>
    public static NodeFile FlagsEnv(KubeletRequest request) =>
        new(FlagsPath, Utf8($"KUBELET_KUBEADM_ARGS={GoQuote(string.Join(" ", Flags(request)))}\n"), FileMode);

    /// <summary>The kubelet flags kubeadm writes for this node, merged with kubeletExtraArgs and sorted.</summary>
    public static IReadOnlyList<string> Flags(KubeletRequest request)
    {
        var (release, socket) = Check(request);
        var d = new List<KubeArg>();
        bool dockershim = release.Has("kubelet.dockershim") && IsDockershim(socket);
        string pause = KubeImages.Pause(request.KubernetesVersion, request.ImageRepository);
        if (dockershim)
        {
            d.Add(new("network-plugin", "cni"));
            if (release.Has("kubelet.docker-cgroup-driver-flag") && !string.IsNullOrEmpty(request.DockerCgroupDriver))
                d.Add(new("cgroup-driver", request.DockerCgroupDriver));
            if (release.Has("kubelet.pod-infra-container-image")) d.Add(new("pod-infra-container-image", pause));
        }
        else
        {
            if (release.Has("kubelet.container-runtime-remote")) d.Add(new("container-runtime", "remote"));
            if (!release.Has("kubelet.node-local-cri-socket")) d.Add(new("container-runtime-endpoint", socket));
            if (release.Has("kubelet.pod-infra-container-image") && release.Has("kubelet.pod-infra-image-all-runtimes"))
                d.Add(new("pod-infra-container-image", pause));
        }
        if (release.Has("kubelet.resolv-conf-flag") && request.SystemdResolvedActive) d.Add(new("resolv-conf", SystemdResolvConf));
        if (request.RegisterTaintsWithFlags && request.Taints.Count > 0) d.Add(new("register-with-taints", string.Join(",", request.Taints)));

        string nodeName = KubeArguments.Find(request.KubeletExtraArgs, "hostname-override") ?? request.NodeName;
        string hostName = request.HostName ?? request.NodeName;
        if (!string.Equals(nodeName, hostName, StringComparison.Ordinal)) d.Add(new("hostname-override", nodeName));
        if (request.NodeIP is { } ip) d.Add(new("node-ip", ip.ToString()));

        return KubeArguments.ToCommand(d, request.KubeletExtraArgs, request.ExtraArgsSemantics, "nodeRegistration.kubeletExtraArgs");
    }

    static bool IsDockershim(string socket) =>
        socket == DockershimSocket || socket == "unix://" + DockershimSocket;

    static (ReleaseInfo Release, string Socket) Check(KubeletRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.KubernetesVersion is null || !r.KubernetesVersion.IsExact)
            throw new KubeException("Manifests.VersionNotExact",
                $"Kubernetes version '{r.KubernetesVersion}' has no patch number; the kubelet files need an exact version such as 1.30.4.",
                KubeErrorCategory.InvalidArgument, r.KubernetesVersion?.ToString(), "Resolve the version first (VersionCatalog.Resolve).");
        var release = VersionCatalog.Get(r.KubernetesVersion);
        ManifestValidation.NodeName(r.NodeName);
        if (r.ExtraArgsSemantics == ExtraArgsSemantics.List && !release.Has("config.list-extra-args"))
            throw new KubeException("Manifests.ListExtraArgsUnsupported",
                $"Kubernetes {r.KubernetesVersion} reads kubeadm v1beta3 or older, whose kubeletExtraArgs is a map; list semantics start with 1.31.",
                KubeErrorCategory.InvalidArgument, r.KubernetesVersion.ToString(), "Use ExtraArgsSemantics.Map for this version.");
        KubeArguments.Validate(r.KubeletExtraArgs, r.ExtraArgsSemantics, "nodeRegistration.kubeletExtraArgs");
        foreach (var t in r.Taints)
            if (string.IsNullOrEmpty(t) || !t.Contains(':') || t.Contains(','))
                throw new KubeException("Manifests.InvalidTaint", $"Taint '{t}' is not key[=value]:Effect.",
                    KubeErrorCategory.InvalidArgument, t, "e.g. dedicated=gpu:NoSchedule");
        ManifestValidation.AbsolutePath(r.CertificatesDir, "certificatesDir");
        ManifestValidation.Subnets(r.ServiceSubnet, "networking.serviceSubnet", required: true);
        if (string.IsNullOrWhiteSpace(r.DnsDomain))
            throw new KubeException("Manifests.MissingValue", "networking.dnsDomain must not be empty.", KubeErrorCategory.InvalidArgument, "networking.dnsDomain", "The default is cluster.local.");
        string socket = Socket(r, release);
        if (socket.Any(char.IsWhiteSpace))
            throw new KubeException("Manifests.InvalidCriSocket", $"CRI socket '{socket}' contains white space.", KubeErrorCategory.InvalidArgument, socket,
                "e.g. unix:///var/run/containerd/containerd.sock");
        return (release, socket);
    }

    static string Socket(KubeletRequest r, ReleaseInfo release) => string.IsNullOrWhiteSpace(r.CriSocket) ? release.DefaultCriSocket : r.CriSocket;

    // ---------------------------------------------------------------- helpers

    static byte[] Utf8(string s) => new UTF8Encoding(false).GetBytes(s);

    /// <summary>Go's %q: double-quoted with backslash escapes for quotes, backslashes and non-printable characters.</summary>
    internal static string GoQuote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var rune in s.EnumerateRunes())
        {
            int c = rune.Value;
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(c.ToString("x2", CultureInfo.InvariantCulture));
                    else if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned
                             or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate)
                        sb.Append(c > 0xFFFF ? "\\U" + c.ToString("x8", CultureInfo.InvariantCulture) : "\\u" + c.ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(rune.ToString());
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Turns nested dictionaries/lists/scalars (e.g. a PowerShell hashtable) into a YAML tree.</summary>
    static YNode FromObject(object? o, string what) => o switch
    {
        null => YScalar.Null(),
        string s => YScalar.Str(s),
        bool b => YScalar.Bool(b),
        sbyte or byte or short or ushort or int or uint or long => YScalar.Int(Convert.ToInt64(o, CultureInfo.InvariantCulture)),
        ulong ul => YScalar.Typed(YScalarKind.Int, ul.ToString(CultureInfo.InvariantCulture)),
        float or double or decimal => YScalar.Typed(YScalarKind.Float, Convert.ToDouble(o, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture)),
        TimeSpan ts => YScalar.Str(GoDuration.Format(ts.Ticks * 100)),
        IDictionary dict => DictToMap(dict, what),
        IEnumerable<KeyValuePair<string, object?>> pairs => PairsToMap(pairs, what),
        IEnumerable e => new YList(e.Cast<object?>().Select(x => FromObject(x, what))),
        _ => throw new KubeException("Manifests.InvalidKubeletConfiguration",
            $"{what} holds a value of type {o.GetType().Name}; use strings, numbers, bools, lists and dictionaries.",
            KubeErrorCategory.InvalidArgument, o.GetType().Name),
    };

    static YMap PairsToMap(IEnumerable<KeyValuePair<string, object?>> pairs, string what)
    {
        var m = new YMap();
        foreach (var (k, v) in pairs) m[k] = FromObject(v, what);
        return m;
    }

    static YMap DictToMap(IDictionary dict, string what)
    {
        var m = new YMap();
        foreach (DictionaryEntry entry in dict)
            m[Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? ""] = FromObject(entry.Value, what);
        return m;
    }
}
