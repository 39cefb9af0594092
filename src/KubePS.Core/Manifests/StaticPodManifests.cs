using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using KubePS.Core.Manifests.Yaml;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Manifests;

/// <summary>
/// Renders the static Pod manifests of kubeadm's <c>control-plane</c> and <c>etcd/local</c> phases: the bytes kubeadm
/// writes to /etc/kubernetes/manifests for the request's Kubernetes version (shape and flags: facts §3, §11; per-version
/// differences come from the version catalog's features). Pure functions: nothing touches a node.
/// </summary>
public static partial class StaticPodManifests
{
    /// <summary>Where the kubelet looks for static Pods.</summary>
    public const string ManifestsDir = "/etc/kubernetes/manifests";

    /// <summary>Mode of <see cref="ManifestsDir"/> (0700), for the applier that creates it.</summary>
    public const int ManifestsDirMode = 0b111_000_000;

    /// <summary>Mode of each manifest (0600).</summary>
    public const int ManifestMode = 0b110_000_000;

    const string KubernetesDir = "/etc/kubernetes";
    const int EtcdClientPort = 2379, EtcdPeerPort = 2380, EtcdMetricsPort = 2381;

    /// <summary>kube-apiserver, kube-controller-manager and kube-scheduler, in that order.</summary>
    public static IReadOnlyList<NodeFile> ControlPlane(ControlPlaneManifestRequest request) =>
        [KubeApiServer(request), KubeControllerManager(request), KubeScheduler(request)];

    public static NodeFile KubeApiServer(ControlPlaneManifestRequest request) => File("kube-apiserver", ApiServerPod(Validated(request)));
    public static NodeFile KubeControllerManager(ControlPlaneManifestRequest request) => File("kube-controller-manager", ControllerManagerPod(Validated(request)));
    public static NodeFile KubeScheduler(ControlPlaneManifestRequest request) => File("kube-scheduler", SchedulerPod(Validated(request)));

    /// <summary>The local etcd member's manifest. Fails with <c>Manifests.ExternalEtcd</c> when the request uses external etcd.</summary>
    public static NodeFile Etcd(ControlPlaneManifestRequest request)
    {
        var ctx = Validated(request);
        if (request.ExternalEtcd is not null)
            throw new KubeException("Manifests.ExternalEtcd", "The cluster uses an external etcd, so there is no local etcd manifest to render.",
                KubeErrorCategory.InvalidOperation, "etcd", "Skip the etcd/local phase for clusters with etcd.external.");
        return File("etcd", EtcdPod(ctx));
    }

    /// <summary>The path of a component's manifest, e.g. /etc/kubernetes/manifests/etcd.yaml.</summary>
    public static string PathOf(string component) => $"{ManifestsDir}/{component}.yaml";

    /// <summary>
    /// The optional CA-certificate directories kubeadm of this version mounts into the API server and controller-manager
    /// when they exist on the node (facts §3.7). The caller checks which exist and passes them as
    /// <see cref="ControlPlaneManifestRequest.ExistingHostDirectories"/>.
    /// </summary>
    public static IReadOnlyList<string> CACertificateDirectories(KubeVersion version)
    {
        var release = VersionCatalog.Get(version);
        return release.Has("control-plane.pki-ca-trust-volumes")
            ? ["/etc/pki/ca-trust", "/etc/pki/tls/certs", "/etc/ca-certificates", "/usr/share/ca-certificates", "/usr/local/share/ca-certificates"]
            : ["/etc/pki", "/etc/ca-certificates", "/usr/share/ca-certificates", "/usr/local/share/ca-certificates"];
    }

    static NodeFile File(string component, YMap pod) => new(PathOf(component), GoYaml.EmitBytes(pod), ManifestMode);

    // ---------------------------------------------------------------- validation

    sealed record Ctx(ControlPlaneManifestRequest R, ReleaseInfo Release, KubeVersion Version, IReadOnlyList<KubeImage> Images);

    static Ctx Validated(ControlPlaneManifestRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.KubernetesVersion is null || !r.KubernetesVersion.IsExact)
            throw new KubeException("Manifests.VersionNotExact",
                $"Kubernetes version '{r.KubernetesVersion}' has no patch number; manifests need an exact version such as 1.30.4.",
                KubeErrorCategory.InvalidArgument, r.KubernetesVersion?.ToString(), "Resolve the version first (VersionCatalog.Resolve).");
        var release = VersionCatalog.Get(r.KubernetesVersion);
        ManifestValidation.NodeName(r.NodeName);
        if (r.BindPort is < 1 or > 65535)
            throw new KubeException("Manifests.InvalidBindPort", $"Bind port {r.BindPort} is outside 1-65535.",
                KubeErrorCategory.InvalidArgument, r.BindPort, "Use a TCP port such as 6443.");
        ManifestValidation.AbsolutePath(r.CertificatesDir, "certificatesDir");
        ManifestValidation.Subnets(r.ServiceSubnet, "networking.serviceSubnet", required: true);
        ManifestValidation.Subnets(r.PodSubnet, "networking.podSubnet", required: false);
        ManifestValidation.PullPolicy(r.ImagePullPolicy);
        if (string.IsNullOrWhiteSpace(r.DnsDomain) || string.IsNullOrWhiteSpace(r.ClusterName))
        {
            var empty = string.IsNullOrWhiteSpace(r.DnsDomain) ? "networking.dnsDomain" : "clusterName";
            throw new KubeException("Manifests.MissingValue", $"{empty} is empty; networking.dnsDomain and clusterName must not be empty.",
                KubeErrorCategory.InvalidArgument, empty, "Use the defaults cluster.local and kubernetes if unsure.");
        }
        if (r.ControlPlaneHealthCheckTimeout <= TimeSpan.Zero)
            throw new KubeException("Manifests.InvalidTimeout", $"Control-plane health-check timeout {r.ControlPlaneHealthCheckTimeout} must be positive.",
                KubeErrorCategory.InvalidArgument, r.ControlPlaneHealthCheckTimeout, "The default is 4m.");
        if (r.ExtraArgsSemantics == ExtraArgsSemantics.List && !release.Has("config.list-extra-args"))
            throw new KubeException("Manifests.ListExtraArgsUnsupported",
                $"Kubernetes {r.KubernetesVersion} reads kubeadm v1beta3 or older, whose extraArgs is a map; list semantics (v1beta4) start with 1.31.",
                KubeErrorCategory.InvalidArgument, r.KubernetesVersion.ToString(), "Use ExtraArgsSemantics.Map for this version.");
        KubeArguments.Validate(r.ApiServer.ExtraArgs, r.ExtraArgsSemantics, "apiServer.extraArgs");
        KubeArguments.Validate(r.ControllerManager.ExtraArgs, r.ExtraArgsSemantics, "controllerManager.extraArgs");
        KubeArguments.Validate(r.Scheduler.ExtraArgs, r.ExtraArgsSemantics, "scheduler.extraArgs");
        KubeArguments.Validate(r.LocalEtcd.ExtraArgs, r.ExtraArgsSemantics, "etcd.local.extraArgs");
        foreach (var (c, o) in new[] { ("apiServer", r.ApiServer), ("controllerManager", r.ControllerManager), ("scheduler", r.Scheduler) })
        {
            foreach (var v in o.ExtraVolumes) ManifestValidation.Volume(v, c + ".extraVolumes");
            foreach (var e in o.ExtraEnvs) ManifestValidation.Env(e, c + ".extraEnvs");
        }
        foreach (var e in r.LocalEtcd.ExtraEnvs) ManifestValidation.Env(e, "etcd.local.extraEnvs");
        foreach (var e in r.ProxyEnvironment) ManifestValidation.Env(e, "proxy environment");
        if (r.ExternalEtcd is { } ext)
        {
            if (ext.Endpoints is null || ext.Endpoints.Count == 0 || ext.Endpoints.Any(string.IsNullOrWhiteSpace))
                throw new KubeException("Manifests.ExternalEtcdEndpoints", "etcd.external.endpoints must list at least one non-empty URL.",
                    KubeErrorCategory.InvalidArgument, "etcd.external.endpoints", "e.g. https://10.0.0.10:2379");
        }
        else
        {
            ManifestValidation.AbsolutePath(r.LocalEtcd.DataDir, "etcd.local.dataDir");
            if (r.LocalEtcd.JoinCluster is { } members)
            {
                if (members.Count == 0 || members.Any(m => m is null || string.IsNullOrWhiteSpace(m.Name) || string.IsNullOrWhiteSpace(m.PeerUrl)))
                    throw new KubeException("Manifests.InvalidEtcdMembers", "The etcd join member list must name every member with its peer URL.",
                        KubeErrorCategory.InvalidArgument, "etcd members", "Pass the member list returned by the member-add call.");
            }
        }
        var images = KubeImages.List(r.KubernetesVersion, r.ImageRepository, r.LocalEtcd.ImageRepository, r.LocalEtcd.ImageTag,
            includeEtcd: r.ExternalEtcd is null);
        return new Ctx(r, release, r.KubernetesVersion, images);
    }

    // ---------------------------------------------------------------- kube-apiserver

    static YMap ApiServerPod(Ctx c)
    {
        var r = c.R;
        string pki = r.CertificatesDir;
        string adv = r.AdvertiseAddress.ToString();
        var d = new List<KubeArg>
        {
            new("advertise-address", adv),
            new("allow-privileged", "true"),
            new("authorization-mode", "Node,RBAC"),
            new("client-ca-file", $"{pki}/ca.crt"),
            new("enable-admission-plugins", "NodeRestriction"),
            new("enable-bootstrap-token-auth", "true"),
            new("kubelet-client-certificate", $"{pki}/apiserver-kubelet-client.crt"),
            new("kubelet-client-key", $"{pki}/apiserver-kubelet-client.key"),
            new("kubelet-preferred-address-types", "InternalIP,ExternalIP,Hostname"),
            new("proxy-client-cert-file", $"{pki}/front-proxy-client.crt"),
            new("proxy-client-key-file", $"{pki}/front-proxy-client.key"),
            new("requestheader-allowed-names", "front-proxy-client"),
            new("requestheader-client-ca-file", $"{pki}/front-proxy-ca.crt"),
            new("requestheader-extra-headers-prefix", "X-Remote-Extra-"),
            new("requestheader-group-headers", "X-Remote-Group"),
            new("requestheader-username-headers", "X-Remote-User"),
            new("secure-port", r.BindPort.ToString(CultureInfo.InvariantCulture)),
            new("service-account-key-file", $"{pki}/sa.pub"),
            new("service-cluster-ip-range", r.ServiceSubnet),
            new("tls-cert-file", $"{pki}/apiserver.crt"),
            new("tls-private-key-file", $"{pki}/apiserver.key"),
        };
        if (c.Release.Has("apiserver.insecure-port")) d.Add(new("insecure-port", "0"));
        if (c.Release.Has("apiserver.service-account-issuer"))
        {
            d.Add(new("service-account-issuer", $"https://kubernetes.default.svc.{r.DnsDomain}"));
            d.Add(new("service-account-signing-key-file", $"{pki}/sa.key"));
        }
        // With structured authorization (--authorization-config) kubeadm leaves authorization-mode out.
        if (KubeArguments.Find(r.ApiServer.ExtraArgs, "authorization-config") is not null)
            d.RemoveAll(a => a.Name == "authorization-mode");

        if (r.ExternalEtcd is { } ext)
        {
            d.Add(new("etcd-servers", string.Join(",", ext.Endpoints)));
            if (ext.CAFile.Length > 0) d.Add(new("etcd-cafile", ext.CAFile));
            if (ext.CertFile.Length > 0 && ext.KeyFile.Length > 0)
            {
                d.Add(new("etcd-certfile", ext.CertFile));
                d.Add(new("etcd-keyfile", ext.KeyFile));
            }
        }
        else
        {
            string servers = KubeArguments.Find(r.LocalEtcd.ExtraArgs, "advertise-client-urls")
                ?? $"https://{HostPort(Loopback(r.AdvertiseAddress), EtcdClientPort)}";
            d.Add(new("etcd-servers", servers));
            d.Add(new("etcd-cafile", $"{pki}/etcd/ca.crt"));
            d.Add(new("etcd-certfile", $"{pki}/apiserver-etcd-client.crt"));
            d.Add(new("etcd-keyfile", $"{pki}/apiserver-etcd-client.key"));
        }

        var command = new List<string> { "kube-apiserver" };
        command.AddRange(KubeArguments.ToCommand(d, r.ApiServer.ExtraArgs, r.ExtraArgsSemantics, "apiServer.extraArgs"));

        var volumes = new Dictionary<string, Vol>(StringComparer.Ordinal);
        AddCommonCertVolumes(c, volumes);
        if (r.ExternalEtcd is { } e2)
            foreach (var v in ExternalEtcdCertVolumes(c, e2)) volumes[v.Name] = v;
        AddExtraVolumes(volumes, r.ApiServer.ExtraVolumes);

        string probeHost = ProbeAddress(r.AdvertiseAddress).ToString();
        var probes = new Probes();
        if (c.Release.Has("apiserver.livez-readyz"))
        {
            probes.Liveness = ("/livez", probeHost, r.BindPort, "HTTPS");
            probes.Readiness = ("/readyz", probeHost, r.BindPort, "HTTPS");
            probes.Startup = ("/livez", probeHost, r.BindPort, "HTTPS");
        }
        else
        {
            probes.Liveness = ("/healthz", probeHost, r.BindPort, "HTTPS");
            probes.Startup = ("/healthz", probeHost, r.BindPort, "HTTPS");
        }

        var annotations = new YMap().Set("kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint", HostPort(r.AdvertiseAddress, r.BindPort));
        return Pod(c, "kube-apiserver", annotations, command, Env(r.ProxyEnvironment, r.ApiServer.ExtraEnvs),
            Image(c, "kube-apiserver"), probes, new YMap().Set("requests", new YMap().Set("cpu", "250m")),
            SortedMounts(volumes.Values), SortedVolumes(volumes.Values));
    }

    // ---------------------------------------------------------------- kube-controller-manager

    static YMap ControllerManagerPod(Ctx c)
    {
        var r = c.R;
        string pki = r.CertificatesDir;
        string kubeconfig = $"{KubernetesDir}/controller-manager.conf";
        var d = new List<KubeArg>
        {
            new("authentication-kubeconfig", kubeconfig),
            new("authorization-kubeconfig", kubeconfig),
            new("bind-address", "127.0.0.1"),
            new("client-ca-file", $"{pki}/ca.crt"),
            new("cluster-name", r.ClusterName),
            new("cluster-signing-cert-file", r.ExternalCA ? "" : $"{pki}/ca.crt"),
            new("cluster-signing-key-file", r.ExternalCA ? "" : $"{pki}/ca.key"),
            new("controllers", "*,bootstrapsigner,tokencleaner"),
            new("kubeconfig", kubeconfig),
            new("leader-elect", "true"),
            new("requestheader-client-ca-file", $"{pki}/front-proxy-ca.crt"),
            new("root-ca-file", $"{pki}/ca.crt"),
            new("service-account-private-key-file", $"{pki}/sa.key"),
            new("use-service-account-credentials", "true"),
        };
        if (c.Release.Has("kcm-scheduler.port-zero")) d.Add(new("port", "0"));
        if (!string.IsNullOrEmpty(r.PodSubnet))
        {
            d.Add(new("allocate-node-cidrs", "true"));
            d.Add(new("cluster-cidr", r.PodSubnet));
            d.Add(new("service-cluster-ip-range", r.ServiceSubnet));
        }
        var command = new List<string> { "kube-controller-manager" };
        command.AddRange(KubeArguments.ToCommand(d, r.ControllerManager.ExtraArgs, r.ExtraArgsSemantics, "controllerManager.extraArgs"));

        var volumes = new Dictionary<string, Vol>(StringComparer.Ordinal);
        AddCommonCertVolumes(c, volumes);
        volumes["kubeconfig"] = new Vol("kubeconfig", kubeconfig, kubeconfig, true, "FileOrCreate");
        string flex = KubeArguments.Find(r.ControllerManager.ExtraArgs, "flex-volume-plugin-dir") ?? "/usr/libexec/kubernetes/kubelet-plugins/volume/exec";
        volumes["flexvolume-dir"] = new Vol("flexvolume-dir", flex, flex, false, "DirectoryOrCreate");
        AddExtraVolumes(volumes, r.ControllerManager.ExtraVolumes);

        string? host = LocalProbeHost(r.ControllerManager.ExtraArgs);
        int port = c.Release.ControllerManagerSecurePort;
        var probes = new Probes
        {
            Liveness = ("/healthz", host, port, "HTTPS"),
            Startup = ("/healthz", host, port, "HTTPS"),
        };
        return Pod(c, "kube-controller-manager", null, command, Env(r.ProxyEnvironment, r.ControllerManager.ExtraEnvs),
            Image(c, "kube-controller-manager"), probes, new YMap().Set("requests", new YMap().Set("cpu", "200m")),
            SortedMounts(volumes.Values), SortedVolumes(volumes.Values));
    }

    // ---------------------------------------------------------------- kube-scheduler

    static YMap SchedulerPod(Ctx c)
    {
        var r = c.R;
        string kubeconfig = $"{KubernetesDir}/scheduler.conf";
        var d = new List<KubeArg>
        {
            new("authentication-kubeconfig", kubeconfig),
            new("authorization-kubeconfig", kubeconfig),
            new("bind-address", "127.0.0.1"),
            new("kubeconfig", kubeconfig),
            new("leader-elect", "true"),
        };
        if (c.Release.Has("kcm-scheduler.port-zero")) d.Add(new("port", "0"));
        var command = new List<string> { "kube-scheduler" };
        command.AddRange(KubeArguments.ToCommand(d, r.Scheduler.ExtraArgs, r.ExtraArgsSemantics, "scheduler.extraArgs"));

        var volumes = new Dictionary<string, Vol>(StringComparer.Ordinal)
        {
            ["kubeconfig"] = new Vol("kubeconfig", kubeconfig, kubeconfig, true, "FileOrCreate"),
        };
        AddExtraVolumes(volumes, r.Scheduler.ExtraVolumes);

        string? host = LocalProbeHost(r.Scheduler.ExtraArgs);
        int port = c.Release.SchedulerSecurePort;
        var probes = new Probes();
        if (c.Release.Has("scheduler.livez-readyz"))
        {
            probes.Liveness = ("/livez", host, port, "HTTPS");
            probes.Readiness = ("/readyz", host, port, "HTTPS");
            probes.Startup = ("/livez", host, port, "HTTPS");
        }
        else
        {
            probes.Liveness = ("/healthz", host, port, "HTTPS");
            probes.Startup = ("/healthz", host, port, "HTTPS");
        }
        return Pod(c, "kube-scheduler", null, command, Env(r.ProxyEnvironment, r.Scheduler.ExtraEnvs),
            Image(c, "kube-scheduler"), probes, new YMap().Set("requests", new YMap().Set("cpu", "100m")),
            SortedMounts(volumes.Values), SortedVolumes(volumes.Values));
    }

    // ---------------------------------------------------------------- etcd

    static YMap EtcdPod(Ctx c)
    {
        var r = c.R;
        var e = r.LocalEtcd;
        string pki = r.CertificatesDir;
        var adv = r.AdvertiseAddress;
        string clientUrl = $"https://{HostPort(adv, EtcdClientPort)}";
        string peerUrl = $"https://{HostPort(adv, EtcdPeerPort)}";
        var loop = Loopback(adv);

        var d = new List<KubeArg>
        {
            new("advertise-client-urls", clientUrl),
            new("cert-file", $"{pki}/etcd/server.crt"),
            new("client-cert-auth", "true"),
            new("data-dir", e.DataDir),
            new("initial-advertise-peer-urls", peerUrl),
            new("key-file", $"{pki}/etcd/server.key"),
            new("listen-client-urls", $"https://{HostPort(loop, EtcdClientPort)},{clientUrl}"),
            new("listen-metrics-urls", $"http://{HostPort(loop, EtcdMetricsPort)}"),
            new("listen-peer-urls", peerUrl),
            new("name", r.NodeName),
            new("peer-cert-file", $"{pki}/etcd/peer.crt"),
            new("peer-client-cert-auth", "true"),
            new("peer-key-file", $"{pki}/etcd/peer.key"),
            new("peer-trusted-ca-file", $"{pki}/etcd/ca.crt"),
            new("snapshot-count", "10000"),
            new("trusted-ca-file", $"{pki}/etcd/ca.crt"),
        };
        if (e.JoinCluster is { } members)
        {
            d.Add(new("initial-cluster", string.Join(",", members.Select(m => $"{m.Name}={m.PeerUrl}"))));
            d.Add(new("initial-cluster-state", "existing"));
        }
        else
        {
            d.Add(new("initial-cluster", $"{r.NodeName}={peerUrl}"));
        }

        string etcdImage = c.Images.Single(i => i.Component == "etcd").Reference;
        bool etcd36 = EtcdAtLeast36(etcdImage);
        bool gates = c.Release.Has("etcd.feature-gates-corrupt-check")
            && (etcd36 || !c.Release.Has("etcd.experimental-flags-below-3.6"));
        if (gates)
        {
            d.Add(new("feature-gates", "InitialCorruptCheck=true"));
            d.Add(new("watch-progress-notify-interval", "5s"));
        }
        else if (c.Release.Has("etcd.feature-gates-corrupt-check"))
        {
            // kubeadm 1.34/1.35 keep the pre-3.6 flags for an older etcd image (etcd.local.imageTag).
            d.Add(new("experimental-initial-corrupt-check", "true"));
            d.Add(new("experimental-watch-progress-notify-interval", "5s"));
        }
        else
        {
            if (c.Release.Has("etcd.experimental-initial-corrupt-check")) d.Add(new("experimental-initial-corrupt-check", "true"));
            if (c.Release.Has("etcd.experimental-watch-progress-notify-interval")) d.Add(new("experimental-watch-progress-notify-interval", "5s"));
        }

        var command = new List<string> { "etcd" };
        command.AddRange(KubeArguments.ToCommand(d, e.ExtraArgs, r.ExtraArgsSemantics, "etcd.local.extraArgs"));

        // Probes follow the first --listen-metrics-urls entry (the user's, if overridden).
        var merged = KubeArguments.Merge(d, e.ExtraArgs, r.ExtraArgsSemantics);
        string metrics = merged.First(a => a.Name == "listen-metrics-urls").Value.Split(',')[0];
        var (host, port, scheme) = ProbeEndpoint(metrics, HostOnly(loop), EtcdMetricsPort);
        var probes = new Probes();
        if (c.Release.Has("etcd.livez-readyz-probes"))
        {
            probes.Liveness = ("/livez", host, port, scheme);
            probes.Readiness = ("/readyz", host, port, scheme);
            probes.Startup = ("/readyz", host, port, scheme);
        }
        else if (c.Release.Has("etcd.serializable-probes"))
        {
            probes.Liveness = ("/health?exclude=NOSPACE&serializable=true", host, port, scheme);
            probes.Startup = ("/health?serializable=false", host, port, scheme);
        }
        else
        {
            probes.Liveness = ("/health", host, port, scheme);
            probes.Startup = ("/health", host, port, scheme);
        }

        var resources = new YMap();
        if (c.Release.Has("etcd.resources"))
            resources.Set("requests", new YMap().Set("cpu", "100m").Set("memory", "100Mi"));

        var data = new Vol("etcd-data", e.DataDir, e.DataDir, false, "DirectoryOrCreate");
        var certs = new Vol("etcd-certs", $"{pki}/etcd", $"{pki}/etcd", false, "DirectoryOrCreate");
        var mounts = new YList().Add(Mount(data)).Add(Mount(certs)); // data first, then certs: kubeadm does not sort these
        var annotations = new YMap().Set("kubeadm.kubernetes.io/etcd.advertise-client-urls", clientUrl);
        return Pod(c, "etcd", annotations, command, Env(r.ProxyEnvironment, e.ExtraEnvs), etcdImage, probes, resources,
            mounts, SortedVolumes([data, certs]));
    }

    static bool EtcdAtLeast36(string imageReference)
    {
        string tag = imageReference[(imageReference.LastIndexOf(':') + 1)..];
        var m = EtcdTag().Match(tag);
        if (!m.Success) return true; // an unparsable custom tag: assume a current etcd
        int major = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        int minor = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        return major > 3 || (major == 3 && minor >= 6);
    }

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9+.-]*://(\[[^\]]*\]|[^/:]*):\d+")]
    private static partial Regex ExplicitPort();

    [GeneratedRegex(@"^v?(\d+)\.(\d+)")]
    private static partial Regex EtcdTag();

    // ---------------------------------------------------------------- shared pod shape

    sealed class Probes
    {
        public (string Path, string? Host, int Port, string Scheme)? Liveness, Readiness, Startup;
    }

    static YMap Pod(Ctx c, string component, YMap? annotations, IReadOnlyList<string> command, YList? env, string image,
        Probes probes, YMap resources, YList mounts, YList volumes)
    {
        var rel = c.Release;
        bool named = rel.Has("pod.probe-named-port");
        int? probePort = probes.Liveness?.Port;

        var container = new YMap()
            .Set("command", new YList(command.Select(s => (YNode)YScalar.Str(s))))
            .Set("image", image)
            .Set("imagePullPolicy", c.R.ImagePullPolicy)
            .Set("name", component)
            .Set("resources", resources)
            .Set("volumeMounts", mounts);
        if (env is not null) container.Set("env", env);
        if (named && probePort is int pp)
            container.Set("ports", new YList().Add(new YMap().Set("containerPort", pp).Set("name", "probe-port").Set("protocol", "TCP")));

        if (rel.Has("pod.startup-probe"))
        {
            if (probes.Liveness is { } l) container.Set("livenessProbe", Probe(l, named, initialDelay: 10, period: 10, failure: 8));
            if (probes.Readiness is { } rd) container.Set("readinessProbe", Probe(rd, named, initialDelay: null, period: 1, failure: 3));
            if (probes.Startup is { } s)
                container.Set("startupProbe", Probe(s, named, initialDelay: 10, period: 10,
                    failure: (int)Math.Ceiling(c.R.ControlPlaneHealthCheckTimeout.TotalSeconds / 10.0)));
        }
        else if (probes.Liveness is { } l)
        {
            // Before 1.19: a liveness probe only, 15s initial delay, no periodSeconds (facts §11).
            container.Set("livenessProbe", Probe(l, named, initialDelay: 15, period: null, failure: 8));
        }

        var metadata = new YMap()
            .Set("labels", new YMap().Set("component", component).Set("tier", "control-plane"))
            .Set("name", component)
            .Set("namespace", "kube-system");
        if (annotations is not null) metadata.Set("annotations", annotations);
        if (!rel.Has("pod.omit-null-creation-timestamp")) metadata.Set("creationTimestamp", YScalar.Null());

        var spec = new YMap()
            .Set("containers", new YList().Add(container))
            .Set("hostNetwork", true)
            .Set("priorityClassName", rel.Has("pod.system-node-critical") ? "system-node-critical" : "system-cluster-critical")
            .Set("volumes", volumes);
        if (rel.Has("pod.priority")) spec.Set("priority", 2000001000);
        if (rel.Has("pod.seccomp-runtime-default"))
            spec.Set("securityContext", new YMap().Set("seccompProfile", new YMap().Set("type", "RuntimeDefault")));

        return new YMap()
            .Set("apiVersion", "v1")
            .Set("kind", "Pod")
            .Set("metadata", metadata)
            .Set("spec", spec)
            .Set("status", new YMap());
    }

    static YMap Probe((string Path, string? Host, int Port, string Scheme) p, bool namedPort, int? initialDelay, int? period, int failure)
    {
        var get = new YMap().Set("path", p.Path).Set("scheme", p.Scheme);
        if (p.Host is not null) get.Set("host", p.Host);
        if (namedPort) get.Set("port", "probe-port"); else get.Set("port", p.Port);
        var m = new YMap().Set("failureThreshold", failure).Set("httpGet", get).Set("timeoutSeconds", 15);
        if (initialDelay is int d) m.Set("initialDelaySeconds", d);
        if (period is int pr) m.Set("periodSeconds", pr);
        return m;
    }

    static YList? Env(IReadOnlyList<KubeEnvVar> proxy, IReadOnlyList<KubeEnvVar> extra)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in proxy) merged[e.Name] = e.Value;
        foreach (var e in extra) merged[e.Name] = e.Value;
        if (merged.Count == 0) return null;
        return new YList(merged.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (YNode)new YMap().Set("name", kv.Key).Set("value", kv.Value)));
    }

    static string Image(Ctx c, string component) => c.Images.Single(i => i.Component == component).Reference;

    // ---------------------------------------------------------------- volumes

    sealed record Vol(string Name, string HostPath, string MountPath, bool ReadOnly, string PathType);

    static void AddCommonCertVolumes(Ctx c, Dictionary<string, Vol> volumes)
    {
        var r = c.R;
        volumes["k8s-certs"] = new Vol("k8s-certs", r.CertificatesDir, r.CertificatesDir, true, "DirectoryOrCreate");
        volumes["ca-certs"] = new Vol("ca-certs", "/etc/ssl/certs", "/etc/ssl/certs", true, "DirectoryOrCreate");
        var existing = new HashSet<string>(r.ExistingHostDirectories.Select(p => p.TrimEnd('/')), StringComparer.Ordinal);
        foreach (var dir in CACertificateDirectories(c.Version))
        {
            if (!existing.Contains(dir)) continue;
            string name = dir.Replace('/', '-').TrimStart('-');
            volumes[name] = new Vol(name, dir, dir, true, "DirectoryOrCreate");
        }
    }

    /// <summary>Directories of the external etcd CA/cert/key that are not already mounted (facts §3.7), as etcd-certs-N.</summary>
    static IEnumerable<Vol> ExternalEtcdCertVolumes(Ctx c, ExternalEtcdOptions ext)
    {
        var caDirs = CACertificateDirectories(c.Version);
        var dirs = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in new[] { ext.CAFile, ext.CertFile, ext.KeyFile })
        {
            if (string.IsNullOrEmpty(file)) continue;
            string dir = DirName(file);
            if (dir == "." || caDirs.Any(p => dir.StartsWith(p, StringComparison.Ordinal))
                || dir.StartsWith("/etc/ssl/certs", StringComparison.Ordinal)
                || dir.StartsWith(c.R.CertificatesDir, StringComparison.Ordinal))
                continue;
            bool covered = false;
            foreach (var existing in dirs.ToList())
            {
                if (existing.StartsWith(dir, StringComparison.Ordinal)) dirs.Remove(existing);
                else if (dir.StartsWith(existing, StringComparison.Ordinal)) covered = true;
            }
            if (!covered) dirs.Add(dir);
        }
        int i = 0;
        foreach (var dir in dirs)
        {
            string name = $"etcd-certs-{i++}";
            yield return new Vol(name, dir, dir, true, "DirectoryOrCreate");
        }
    }

    static string DirName(string path)
    {
        int i = path.LastIndexOf('/');
        if (i < 0) return ".";
        if (i == 0) return "/";
        return path[..i];
    }

    static void AddExtraVolumes(Dictionary<string, Vol> volumes, IReadOnlyList<HostPathMount> extra)
    {
        foreach (var v in extra)
            volumes[v.Name] = new Vol(v.Name, v.HostPath, v.MountPath, v.ReadOnly, v.PathType ?? "");
    }

    static YMap Mount(Vol v)
    {
        var m = new YMap().Set("mountPath", v.MountPath).Set("name", v.Name);
        if (v.ReadOnly) m.Set("readOnly", true);
        return m;
    }

    static YList SortedMounts(IEnumerable<Vol> vols) =>
        new(vols.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => (YNode)Mount(v)));

    static YList SortedVolumes(IEnumerable<Vol> vols) =>
        new(vols.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => (YNode)new YMap()
            .Set("hostPath", new YMap().Set("path", v.HostPath).Set("type", v.PathType))
            .Set("name", v.Name)));

    // ---------------------------------------------------------------- addresses

    /// <summary>host:port, with brackets for IPv6 (Go's net.JoinHostPort).</summary>
    internal static string HostPort(IPAddress ip, int port) => $"{HostOnly(ip, bracket: true)}:{port}";

    static string HostOnly(IPAddress ip, bool bracket = false)
    {
        string s = ip.ToString();
        return ip.AddressFamily == AddressFamily.InterNetworkV6 && bracket ? $"[{s}]" : s;
    }

    static IPAddress Loopback(IPAddress adv) => adv.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;

    static IPAddress ProbeAddress(IPAddress adv)
    {
        if (adv.Equals(IPAddress.Any)) return IPAddress.Loopback;
        if (adv.Equals(IPAddress.IPv6Any)) return IPAddress.IPv6Loopback;
        return adv;
    }

    /// <summary>Probe host for the controller-manager/scheduler: 127.0.0.1, the bind-address extra arg, or none for a wildcard.</summary>
    static string? LocalProbeHost(IReadOnlyList<KubeArg> extraArgs)
    {
        string? bind = KubeArguments.Find(extraArgs, "bind-address");
        if (bind is null) return "127.0.0.1";
        if (IPAddress.TryParse(bind, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))) return null;
        return bind;
    }

    static (string Host, int Port, string Scheme) ProbeEndpoint(string url, string defaultHost, int defaultPort)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var u))
        {
            string host = u.Host.Trim('[', ']');
            if (IPAddress.TryParse(host, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
                host = ip.AddressFamily == AddressFamily.InterNetworkV6 ? "::1" : "127.0.0.1";
            int port = ExplicitPort().IsMatch(url) ? u.Port : defaultPort;
            return (host, port, u.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase) ? "HTTPS" : "HTTP");
        }
        return (defaultHost, defaultPort, "HTTP");
    }
}

/// <summary>Input checks shared by the manifest and kubelet renderers (fail early, before anything is written).</summary>
internal static partial class ManifestValidation
{
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc1123Subdomain();

    public static void NodeName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 253 || !Rfc1123Subdomain().IsMatch(name))
            throw new KubeException("Manifests.InvalidNodeName",
                $"Node name '{name}' is not a lower-case RFC 1123 subdomain (letters a-z, digits, '-' and '.', at most 253 characters).",
                KubeErrorCategory.InvalidArgument, name, "Use a name such as cp-1 or node1.example.com.");
    }

    public static void AbsolutePath(string? path, string what)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
            throw new KubeException("Manifests.RelativePath", $"{what} '{path}' must be an absolute path on the node.",
                KubeErrorCategory.InvalidArgument, path, "Give a path starting with '/'.");
    }

    public static IReadOnlyList<IPNetwork> Subnets(string? value, string what, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
                throw new KubeException("Manifests.InvalidSubnet", $"{what} must not be empty.", KubeErrorCategory.InvalidArgument, value, "e.g. 10.96.0.0/12");
            return [];
        }
        var parts = value.Split(',');
        var result = new List<IPNetwork>();
        foreach (var p in parts)
        {
            if (!IPNetwork.TryParse(p.Trim(), out var net) || p != p.Trim())
                throw new KubeException("Manifests.InvalidSubnet",
                    $"{what} '{value}' is not a CIDR or a comma-separated dual-stack pair of CIDRs ('{p}' is not valid).",
                    KubeErrorCategory.InvalidArgument, value, "e.g. 10.96.0.0/12 or 10.96.0.0/12,fd00:10:96::/112");
            result.Add(net);
        }
        if (result.Count > 2 || (result.Count == 2 && result[0].BaseAddress.AddressFamily == result[1].BaseAddress.AddressFamily))
            throw new KubeException("Manifests.InvalidSubnet", $"{what} '{value}' may hold at most one IPv4 and one IPv6 CIDR.",
                KubeErrorCategory.InvalidArgument, value, "e.g. 10.96.0.0/12,fd00:10:96::/112");
        return result;
    }

    public static void PullPolicy(string? policy)
    {
        if (policy is not ("Always" or "IfNotPresent" or "Never"))
            throw new KubeException("Manifests.InvalidImagePullPolicy", $"Image pull policy '{policy}' is not Always, IfNotPresent or Never.",
                KubeErrorCategory.InvalidArgument, policy, "The default is IfNotPresent.");
    }

    public static void Volume(HostPathMount? v, string what)
    {
        if (v is null || string.IsNullOrWhiteSpace(v.Name))
            throw new KubeException("Manifests.InvalidVolume",
                v is null ? $"{what}: an entry is empty; every volume needs a name." : $"{what}: the volume with hostPath '{v.HostPath}' has no name; every volume needs a name.",
                KubeErrorCategory.InvalidArgument, v?.HostPath, "Give each extra volume a name, a hostPath and a mountPath, e.g. name: audit, hostPath: /var/log/audit, mountPath: /var/log/audit.");
        AbsolutePath(v.HostPath, $"{what} '{v.Name}' hostPath");
        AbsolutePath(v.MountPath, $"{what} '{v.Name}' mountPath");
    }

    public static void Env(KubeEnvVar? e, string what)
    {
        if (e is null || string.IsNullOrEmpty(e.Name) || e.Name.Contains('=') || e.Value is null)
            throw new KubeException("Manifests.InvalidEnv", $"{what}: '{e?.Name}' is not a valid environment variable (name without '=', value not null).",
                KubeErrorCategory.InvalidArgument, e?.Name, "Give each variable a non-empty name without '=' and a value (may be empty), e.g. name: HTTPS_PROXY, value: http://proxy:3128.");
    }
}
