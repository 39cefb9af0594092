using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace KubePS.Core.Configuration;

/// <summary>
/// Writes a <see cref="KubeClusterConfiguration"/> as multi-document kubeadm YAML of one API version: the kubeadm
/// documents (InitConfiguration, ClusterConfiguration, JoinConfiguration, and for v1beta4 the kept Reset/Upgrade
/// documents), then the component configurations as given. Keys are sorted at every level as kubeadm's own output is
/// (kubeadm marshals through JSON); component configurations keep the user's order. Extra arguments are maps in
/// v1beta2/v1beta3 and name/value lists in v1beta4. A value the chosen version cannot hold fails with
/// <c>Config.NotExpressible</c> instead of being dropped.
/// </summary>
internal sealed class KubeadmYamlWriter
{
    readonly KubeClusterConfiguration _cfg;
    readonly int _level;
    readonly string _apiVersion;

    KubeadmYamlWriter(KubeClusterConfiguration cfg, string version)
    {
        if (!KubeadmApi.WritableVersions.Contains(version))
            throw new KubeException("Config.UnknownApiVersion",
                $"Cannot write kubeadm.k8s.io/{version}; KubePS writes {string.Join(", ", KubeadmApi.WritableVersions.Select(v => $"{KubeadmApi.Group}/{v}"))}.",
                KubeErrorCategory.InvalidArgument, version, "Choose v1beta3 or v1beta4.");
        _cfg = cfg;
        _level = KubeadmApi.Level(version);
        _apiVersion = $"{KubeadmApi.Group}/{version}";
    }

    public static string Write(KubeClusterConfiguration cfg, string version)
    {
        var w = new KubeadmYamlWriter(cfg, version);
        return Emit(w.Documents());
    }

    IEnumerable<ConfigMapping> Documents()
    {
        var docs = new List<ConfigMapping>();
        var init = _cfg.Init?.Clone();
        var join = _cfg.Join?.Clone();
        var cluster = _cfg.Cluster.Clone();

        MoveTimeouts(ref init, join, cluster);

        if (init is not null) docs.Add(InitDoc(init));
        var clusterDoc = ClusterDoc(cluster);
        bool joinOnly = init is null && join is not null;
        if (!joinOnly || clusterDoc.Count > 3 || _cfg.ClusterGiven) docs.Add(clusterDoc);
        if (join is not null) docs.Add(JoinDoc(join));
        foreach (var extra in _cfg.ExtraDocuments)
        {
            if (_level < 4) throw NotExpressible(extra.Kind, "the document", 4);
            var d = (ConfigMapping)extra.Document.DeepClone();
            d["apiVersion"] = ConfigScalar.String(_apiVersion);
            docs.Add(d);
        }
        if (_cfg.KubeProxy is not null) docs.Add(_cfg.KubeProxy.Document);
        if (_cfg.Kubelet is not null) docs.Add(_cfg.Kubelet.Document);
        return docs;
    }

    /// <summary>
    /// v1beta4 moved apiServer.timeoutForControlPlane and discovery.timeout into the timeouts of Init/JoinConfiguration;
    /// this converts between the two layouts for the version being written.
    /// </summary>
    void MoveTimeouts(ref InitConfiguration? init, JoinConfiguration? join, ClusterConfiguration cluster)
    {
        if (_level >= 4)
        {
            if (cluster.ApiServer?.TimeoutForControlPlane is { } cp)
            {
                if (init is null && join is null) init = new InitConfiguration();
                foreach (var holder in new object?[] { init, join })
                {
                    var t = holder switch { InitConfiguration i => i.Timeouts ??= new(), JoinConfiguration j => j.Timeouts ??= new(), _ => null };
                    if (t is not null) t.ControlPlaneComponentHealthCheck ??= cp;
                }
                cluster.ApiServer.TimeoutForControlPlane = null;
            }
            if (join?.Discovery?.Timeout is { } dt)
            {
                (join.Timeouts ??= new()).Discovery ??= dt;
                join.Discovery.Timeout = null;
            }
            return;
        }

        foreach (var (timeouts, owner) in new[] { (init?.Timeouts, "InitConfiguration"), (join?.Timeouts, "JoinConfiguration") })
        {
            if (timeouts is null) continue;
            if (timeouts.ControlPlaneComponentHealthCheck is { } cp)
            {
                var api = cluster.ApiServer ??= new ApiServerOptions();
                if (api.TimeoutForControlPlane is not null && api.TimeoutForControlPlane != cp)
                    throw NotExpressible($"{owner} timeouts.controlPlaneComponentHealthCheck", cp, 4,
                        $"it differs from apiServer.timeoutForControlPlane ({api.TimeoutForControlPlane}), the one field {_apiVersion} has for it");
                api.TimeoutForControlPlane = cp;
            }
            if (timeouts.Discovery is { } d && owner == "JoinConfiguration")
            {
                var disc = join!.Discovery ??= new DiscoveryOptions();
                if (disc.Timeout is not null && disc.Timeout != d)
                    throw NotExpressible("JoinConfiguration timeouts.discovery", d, 4, $"it differs from discovery.timeout ({disc.Timeout})");
                disc.Timeout = d;
            }
            foreach (var (field, value) in timeouts.All())
            {
                if (value is null || field == "controlPlaneComponentHealthCheck" || (field == "discovery" && owner == "JoinConfiguration")) continue;
                throw NotExpressible($"{owner} timeouts.{field}", value, 4);
            }
        }
        if (init is not null) init.Timeouts = null;
        if (join is not null) join.Timeouts = null;
    }

    // ---------------------------------------------------------------- documents

    ConfigMapping Head(string kind)
    {
        var m = new ConfigMapping();
        m["apiVersion"] = ConfigScalar.String(_apiVersion);
        m["kind"] = ConfigScalar.String(kind);
        return m;
    }

    ConfigMapping InitDoc(InitConfiguration i)
    {
        var m = Head("InitConfiguration");
        if (i.BootstrapTokens is { } tokens) m["bootstrapTokens"] = Seq(tokens.Select(TokenNode));
        if (i.NodeRegistration is { } nr) m["nodeRegistration"] = NodeRegistrationNode(nr, "InitConfiguration");
        if (i.LocalApiEndpoint is { } ep) m["localAPIEndpoint"] = EndpointNode(ep);
        if (i.CertificateKey is { } key) m["certificateKey"] = ConfigScalar.String(key.Reveal());
        SkipPhasesAndPatches(m, i.SkipPhases, i.Patches, "InitConfiguration");
        DryRun(m, i.DryRun, "InitConfiguration");
        if (i.Timeouts is { } t) m["timeouts"] = TimeoutsNode(t);
        return m;
    }

    ConfigMapping ClusterDoc(ClusterConfiguration c)
    {
        var m = Head("ClusterConfiguration");
        // kubernetesVersion is always written, and always exact: an exact version as the user wrote it, anything else
        // (nothing, a minor such as 1.30, a label such as stable-1) as the release KubePS resolved it to, so that a
        // re-import does not move to a newer catalog's default and kubeadm itself, which wants x.y.z, can read the file.
        string? given = c.KubernetesVersion;
        m["kubernetesVersion"] = ConfigScalar.String(
            given is not null && KubePS.Core.Versioning.KubeVersion.TryParse(given, out var exact) && exact.IsExact ? given : _cfg.KubernetesVersion.ToString());
        Str(m, "controlPlaneEndpoint", c.ControlPlaneEndpoint);
        Str(m, "clusterName", c.ClusterName);
        Str(m, "certificatesDir", c.CertificatesDir);
        Str(m, "imageRepository", c.ImageRepository);
        if (c.Networking is { } n)
        {
            var nm = new ConfigMapping();
            Str(nm, "serviceSubnet", n.ServiceSubnet);
            Str(nm, "podSubnet", n.PodSubnet);
            Str(nm, "dnsDomain", n.DnsDomain);
            m["networking"] = nm;
        }
        if (c.Etcd is { } e)
        {
            var em = new ConfigMapping();
            if (e.Local is { } l)
            {
                var lm = new ConfigMapping();
                Str(lm, "imageRepository", l.ImageRepository);
                Str(lm, "imageTag", l.ImageTag);
                Str(lm, "dataDir", l.DataDir);
                if (l.ExtraArgs is { } a) lm["extraArgs"] = ArgsNode(a, "etcd.local.extraArgs");
                if (l.ExtraEnvs is { } env) lm["extraEnvs"] = EnvNode(env, "etcd.local.extraEnvs");
                Strs(lm, "serverCertSANs", l.ServerCertSANs);
                Strs(lm, "peerCertSANs", l.PeerCertSANs);
                em["local"] = lm;
            }
            if (e.External is { } x)
            {
                var xm = new ConfigMapping();
                Strs(xm, "endpoints", x.Endpoints);
                Str(xm, "caFile", x.CAFile);
                Str(xm, "certFile", x.CertFile);
                Str(xm, "keyFile", x.KeyFile);
                em["external"] = xm;
            }
            m["etcd"] = em;
        }
        if (c.ApiServer is { } api)
        {
            var am = ComponentNode(api, "apiServer");
            Strs(am, "certSANs", api.CertSANs);
            Str(am, "timeoutForControlPlane", api.TimeoutForControlPlane);
            m["apiServer"] = am;
        }
        if (c.ControllerManager is { } cm) m["controllerManager"] = ComponentNode(cm, "controllerManager");
        if (c.Scheduler is { } s) m["scheduler"] = ComponentNode(s, "scheduler");
        if (c.Dns is { } dns)
        {
            var dm = new ConfigMapping();
            Str(dm, "imageRepository", dns.ImageRepository);
            Str(dm, "imageTag", dns.ImageTag);
            V4Bool(dm, "disabled", dns.Disabled, false, "dns.disabled");
            m["dns"] = dm;
        }
        if (c.Proxy is { } proxy)
        {
            if (_level >= 4)
            {
                var pm = new ConfigMapping();
                if (proxy.Disabled is { } d) pm["disabled"] = ConfigScalar.Bool(d);
                m["proxy"] = pm;
            }
            else if (proxy.Disabled == true) throw NotExpressible("proxy.disabled", "true", 4);
        }

        var gates = c.FeatureGates is null ? null : new Dictionary<string, bool>(c.FeatureGates, StringComparer.Ordinal);
        if (c.EncryptionAlgorithm is { } alg)
        {
            if (_level >= 4) m["encryptionAlgorithm"] = ConfigScalar.String(alg);
            else if (alg == "ECDSA-P256") (gates ??= new(StringComparer.Ordinal))["PublicKeysECDSA"] = true;   // the v1beta3 spelling of the same choice
            else if (alg != KubeadmDefaults.EncryptionAlgorithm) throw NotExpressible("encryptionAlgorithm", alg, 4);
        }
        if (gates is not null)
        {
            var gm = new ConfigMapping();
            foreach (var (k, v) in gates) gm[k] = ConfigScalar.Bool(v);
            m["featureGates"] = gm;
        }
        Validity(m, "certificateValidityPeriod", c.CertificateValidityPeriod, KubeadmDefaults.CertificateValidityPeriod);
        Validity(m, "caCertificateValidityPeriod", c.CACertificateValidityPeriod, KubeadmDefaults.CACertificateValidityPeriod);
        return m;
    }

    ConfigMapping JoinDoc(JoinConfiguration j)
    {
        var m = Head("JoinConfiguration");
        if (j.NodeRegistration is { } nr) m["nodeRegistration"] = NodeRegistrationNode(nr, "JoinConfiguration");
        Str(m, "caCertPath", j.CACertPath);
        if (j.Discovery is { } d)
        {
            var dm = new ConfigMapping();
            if (d.BootstrapToken is { } bt)
            {
                var bm = new ConfigMapping();
                if (bt.Token is { } tok) bm["token"] = ConfigScalar.String(tok.Reveal());
                Str(bm, "apiServerEndpoint", bt.ApiServerEndpoint);
                Strs(bm, "caCertHashes", bt.CACertHashes);
                if (bt.UnsafeSkipCAVerification is { } u) bm["unsafeSkipCAVerification"] = ConfigScalar.Bool(u);
                dm["bootstrapToken"] = bm;
            }
            if (d.File is { } f)
            {
                var fm = new ConfigMapping();
                Str(fm, "kubeConfigPath", f.KubeConfigPath);
                dm["file"] = fm;
            }
            if (d.TlsBootstrapToken is { } tls) dm["tlsBootstrapToken"] = ConfigScalar.String(tls.Reveal());
            Str(dm, "timeout", d.Timeout);
            m["discovery"] = dm;
        }
        if (j.ControlPlane is { } cp)
        {
            var cm = new ConfigMapping();
            if (cp.LocalApiEndpoint is { } ep) cm["localAPIEndpoint"] = EndpointNode(ep);
            if (cp.CertificateKey is { } key) cm["certificateKey"] = ConfigScalar.String(key.Reveal());
            m["controlPlane"] = cm;
        }
        SkipPhasesAndPatches(m, j.SkipPhases, j.Patches, "JoinConfiguration");
        DryRun(m, j.DryRun, "JoinConfiguration");
        if (j.Timeouts is { } t) m["timeouts"] = TimeoutsNode(t);
        return m;
    }

    // ---------------------------------------------------------------- parts

    ConfigMapping NodeRegistrationNode(NodeRegistrationOptions nr, string owner)
    {
        var m = new ConfigMapping();
        Str(m, "name", nr.Name);
        Str(m, "criSocket", nr.CriSocket);
        if (nr.Taints is { } taints)
            m["taints"] = Seq(taints.Select(t =>
            {
                var tm = new ConfigMapping();
                Str(tm, "key", t.Key);
                Str(tm, "value", t.Value);
                Str(tm, "effect", t.Effect);
                Str(tm, "timeAdded", t.TimeAdded);
                return (ConfigNode)tm;
            }));
        if (nr.KubeletExtraArgs is { } a) m["kubeletExtraArgs"] = ArgsNode(a, $"{owner} nodeRegistration.kubeletExtraArgs");
        Strs(m, "ignorePreflightErrors", nr.IgnorePreflightErrors);
        if (nr.ImagePullPolicy is { } policy)
        {
            if (_level >= 3) m["imagePullPolicy"] = ConfigScalar.String(policy);
            else if (policy != KubeadmDefaults.ImagePullPolicy) throw NotExpressible($"{owner} nodeRegistration.imagePullPolicy", policy, 3);
        }
        V4Bool(m, "imagePullSerial", nr.ImagePullSerial, true, $"{owner} nodeRegistration.imagePullSerial");
        return m;
    }

    static ConfigMapping EndpointNode(ApiEndpoint ep)
    {
        var m = new ConfigMapping();
        Str(m, "advertiseAddress", ep.AdvertiseAddress);
        if (ep.BindPort is { } port) m["bindPort"] = ConfigScalar.Int(port);
        return m;
    }

    static ConfigNode TokenNode(BootstrapToken t)
    {
        var m = new ConfigMapping();
        if (t.Token is { } tok) m["token"] = ConfigScalar.String(tok.Reveal());
        Str(m, "description", t.Description);
        Str(m, "ttl", t.Ttl);
        Str(m, "expires", t.Expires);
        Strs(m, "usages", t.Usages);
        Strs(m, "groups", t.Groups);
        return m;
    }

    static ConfigMapping TimeoutsNode(KubeadmTimeouts t)
    {
        var m = new ConfigMapping();
        foreach (var (field, value) in t.All()) Str(m, field, value);
        return m;
    }

    ConfigMapping ComponentNode(ControlPlaneComponentOptions c, string path)
    {
        var m = new ConfigMapping();
        if (c.ExtraArgs is { } a) m["extraArgs"] = ArgsNode(a, $"{path}.extraArgs");
        if (c.ExtraVolumes is { } vols)
            m["extraVolumes"] = Seq(vols.Select(v =>
            {
                var vm = new ConfigMapping();
                Str(vm, "name", v.Name);
                Str(vm, "hostPath", v.HostPath);
                Str(vm, "mountPath", v.MountPath);
                if (v.ReadOnly is { } ro) vm["readOnly"] = ConfigScalar.Bool(ro);
                Str(vm, "pathType", v.PathType);
                return (ConfigNode)vm;
            }));
        if (c.ExtraEnvs is { } env) m["extraEnvs"] = EnvNode(env, $"{path}.extraEnvs");
        return m;
    }

    ConfigNode EnvNode(List<KubeEnvVar> env, string path)
    {
        if (_level < 4)
        {
            if (env.Count > 0) throw NotExpressible(path, $"{env.Count} variables", 4);
            return new ConfigSequence();
        }
        return Seq(env.Select(e =>
        {
            var m = new ConfigMapping();
            Str(m, "name", e.Name);
            Str(m, "value", e.Value);
            if (e.ValueFrom is { } vf) m["valueFrom"] = vf.DeepClone();
            return (ConfigNode)m;
        }));
    }

    ConfigNode ArgsNode(List<KubeArg> args, string path)
    {
        if (_level >= 4)
            return Seq(args.Select(a =>
            {
                var m = new ConfigMapping();
                m["name"] = ConfigScalar.String(a.Name);
                m["value"] = ConfigScalar.String(a.Value);
                return (ConfigNode)m;
            }));
        var map = new ConfigMapping();
        foreach (var a in args)
        {
            if (map.TryGet(a.Name, out _))
                throw NotExpressible(path, $"{a.Name} given twice", 4, "a map holds each flag once; only v1beta4 lists allow repeated flags");
            map[a.Name] = ConfigScalar.String(a.Value);
        }
        return map;
    }

    void SkipPhasesAndPatches(ConfigMapping m, List<string>? skip, KubeadmPatches? patches, string owner)
    {
        if (skip is not null)
        {
            if (_level >= 3) Strs(m, "skipPhases", skip);
            else if (skip.Count > 0) throw NotExpressible($"{owner} skipPhases", string.Join(",", skip), 3);
        }
        if (patches is not null)
        {
            if (_level >= 3)
            {
                var pm = new ConfigMapping();
                Str(pm, "directory", patches.Directory);
                m["patches"] = pm;
            }
            else if (patches.Directory is not null) throw NotExpressible($"{owner} patches.directory", patches.Directory, 3);
        }
    }

    void DryRun(ConfigMapping m, bool? dryRun, string owner) => V4Bool(m, "dryRun", dryRun, false, $"{owner} dryRun");

    /// <summary>A v1beta4-only boolean: written in v1beta4; dropped for older versions only when it is the value they imply.</summary>
    void V4Bool(ConfigMapping m, string key, bool? value, bool impliedBefore, string path)
    {
        if (value is not { } v) return;
        if (_level >= 4) m[key] = ConfigScalar.Bool(v);
        else if (v != impliedBefore) throw NotExpressible(path, v ? "true" : "false", 4);
    }

    void Validity(ConfigMapping m, string key, string? value, TimeSpan defaultValue)
    {
        if (value is null) return;
        if (_level >= 4) { m[key] = ConfigScalar.String(value); return; }
        if (!GoDuration.TryParse(value, out var v) || v != defaultValue) throw NotExpressible(key, value, 4);
    }

    static void Str(ConfigMapping m, string key, string? value)
    {
        if (value is not null) m[key] = ConfigScalar.String(value);
    }

    static void Strs(ConfigMapping m, string key, IEnumerable<string>? values)
    {
        if (values is not null) m[key] = Seq(values.Select(v => (ConfigNode)ConfigScalar.String(v)));
    }

    static ConfigSequence Seq(IEnumerable<ConfigNode> items) => new(items);

    KubeException NotExpressible(string field, string value, int needs, string? why = null) =>
        new("Config.NotExpressible",
            $"{field} ({value}) cannot be written as {_apiVersion}: " + (why ?? $"the field exists from {KubeadmApi.Group}/{KubeadmApi.VersionOf(needs)}") + ".",
            KubeErrorCategory.InvalidArgument, field,
            $"Export as {KubeadmApi.Group}/{KubeadmApi.VersionOf(Math.Max(needs, _level))} (Export-KubeadmConfiguration -ApiVersion {KubeadmApi.VersionOf(Math.Max(needs, _level))}), or remove the value.");

    // ---------------------------------------------------------------- emitting

    /// <summary>Writes documents separated by <c>---</c>; kubeadm documents with sorted keys, component configs as given.</summary>
    internal static string Emit(IEnumerable<ConfigMapping> docs)
    {
        var sw = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(sw, new EmitterSettings(2, int.MaxValue, false, 1024));
        emitter.Emit(new StreamStart());
        bool first = true;
        foreach (var doc in docs)
        {
            bool sorted = doc.GetString("apiVersion")?.StartsWith(KubeadmApi.Group + "/", StringComparison.Ordinal) == true;
            emitter.Emit(new DocumentStart(null, null, first));
            EmitNode(emitter, doc, sorted);
            emitter.Emit(new DocumentEnd(true));
            first = false;
        }
        emitter.Emit(new StreamEnd());
        return sw.ToString();
    }

    static void EmitNode(IEmitter e, ConfigNode node, bool sorted)
    {
        switch (node)
        {
            case ConfigScalar s:
                e.Emit(Scalar(s.Value, s.Quoted));
                break;
            case ConfigSequence q:
                e.Emit(new SequenceStart(null, null, true, q.Items.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in q.Items) EmitNode(e, item, sorted);
                e.Emit(new SequenceEnd());
                break;
            case ConfigMapping m:
                e.Emit(new MappingStart(null, null, true, m.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                var entries = sorted ? m.Entries.OrderBy(x => x.Key, StringComparer.Ordinal) : m.Entries.AsEnumerable();
                foreach (var (k, v) in entries)
                {
                    e.Emit(Scalar(k, true));
                    EmitNode(e, v, sorted);
                }
                e.Emit(new MappingEnd());
                break;
        }
    }

    static Scalar Scalar(string value, bool isString)
    {
        // A string that would read back as another type (true, 10, 1.30, null, "") is double-quoted; other strings
        // are plain where YAML allows it (the emitter quotes what plain style cannot hold).
        var style = !isString ? ScalarStyle.Plain : YamlScalars.NeedsQuotes(value) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any;
        if (!isString && value.Length == 0) value = "null";   // a plain empty scalar is YAML null; say so explicitly
        return new Scalar(null, null, value, style, true, true);
    }
}
