namespace KubePS.Core.Configuration;

/// <summary>
/// The field names of one level of a component configuration: for each known field, how its value is checked.
/// <see cref="ComponentFieldKind.Value"/> is not looked into (scalars, lists of scalars, maps whose keys are free such
/// as evictionHard or featureGates); <see cref="ComponentFieldKind.Struct"/> is a mapping checked against
/// <see cref="ComponentField.Children"/>; <see cref="ComponentFieldKind.ListOfStructs"/> is a list whose entries are.
/// </summary>
internal enum ComponentFieldKind { Value, Struct, ListOfStructs }

internal sealed record ComponentField(string Name, ComponentFieldKind Kind, ComponentFieldSet? Children);

internal sealed class ComponentFieldSet
{
    readonly Dictionary<string, ComponentField> _fields = new(StringComparer.Ordinal);

    public ComponentFieldSet(IEnumerable<ComponentField> fields)
    {
        foreach (var f in fields) _fields.Add(f.Name, f);
    }

    public IEnumerable<string> Names => _fields.Keys;

    public ComponentField? Find(string name) => _fields.TryGetValue(name, out var f) ? f : null;
}

/// <summary>
/// The json field names of the component configurations kubeadm strictly decodes with its own documents
/// (KubeletConfiguration kubelet.config.k8s.io/v1beta1, KubeProxyConfiguration kubeproxy.config.k8s.io/v1alpha1),
/// as the union over Kubernetes 1.18 to the newest release, so that a field a supported release knows is never
/// reported. Data only; the reader (<see cref="KubeadmYamlReader"/>) walks a document with it.
/// </summary>
internal static class ComponentConfigFields
{
    static ComponentField V(string name) => new(name, ComponentFieldKind.Value, null);
    static ComponentField S(string name, params ComponentField[] children) => new(name, ComponentFieldKind.Struct, new(children));
    static ComponentField L(string name, params ComponentField[] children) => new(name, ComponentFieldKind.ListOfStructs, new(children));
    static ComponentField[] Vs(params string[] names) => names.Select(V).ToArray();

    // k8s.io/component-base LoggingConfiguration (logs/api/v1, read at kubernetes/kubernetes 008b3652). "sanitization"
    // belonged to the 1.20-1.2x component-base config/v1alpha1 form of this struct; it is kept so that such a file is not
    // reported (not re-read in a stored source).
    static ComponentField Logging() => S("logging",
        V("format"), V("flushFrequency"), V("verbosity"), V("sanitization"),
        L("vmodule", Vs("filePattern", "verbosity")),
        S("options",
            S("text", Vs("splitStream", "infoBufferSize")),
            S("json", Vs("splitStream", "infoBufferSize"))));

    /// <summary>
    /// KubeletConfiguration, from staging/src/k8s.io/kubelet/config/v1beta1/types.go: the newest stored version
    /// (kubernetes/kubernetes 001332b0, 1.35/1.36 development: memoryReservationPolicy, failCgroupV1, userNamespaces)
    /// and a 1.17-1.19-era fork of the same file (mgjeong/MemoryManagerConcept 299a9300); every field of the older file
    /// is still in the newer one, so the union is the newest list. Map-valued fields (staticPodURLHeader,
    /// cpuManagerPolicyOptions, topologyManagerPolicyOptions, qosReserved, eviction*, featureGates, systemReserved,
    /// kubeReserved) and tracing are not looked into.
    /// </summary>
    public static ComponentFieldSet Kubelet { get; } = new([
        .. Vs("enableServer", "staticPodPath", "podLogsDir", "syncFrequency", "fileCheckFrequency", "httpCheckFrequency",
            "staticPodURL", "staticPodURLHeader", "address", "port", "readOnlyPort", "tlsCertFile", "tlsPrivateKeyFile",
            "tlsCipherSuites", "tlsCurvePreferences", "tlsMinVersion", "rotateCertificates", "serverTLSBootstrap"),
        S("authentication",
            S("x509", V("clientCAFile")),
            S("webhook", V("enabled"), V("cacheTTL")),
            S("anonymous", V("enabled"))),
        S("authorization",
            V("mode"),
            S("webhook", V("cacheAuthorizedTTL"), V("cacheUnauthorizedTTL"))),
        .. Vs("registryPullQPS", "registryBurst", "imagePullCredentialsVerificationPolicy",
            "preloadedImagesVerificationAllowlist", "eventRecordQPS", "eventBurst", "enableDebuggingHandlers",
            "enableContentionProfiling", "healthzPort", "healthzBindAddress", "oomScoreAdj", "clusterDomain", "clusterDNS",
            "streamingConnectionIdleTimeout", "nodeStatusUpdateFrequency", "nodeStatusReportFrequency",
            "nodeLeaseDurationSeconds", "imageMinimumGCAge", "imageMaximumGCAge", "imageGCHighThresholdPercent",
            "imageGCLowThresholdPercent", "volumeStatsAggPeriod", "kubeletCgroups", "systemCgroups", "cgroupRoot",
            "cgroupsPerQOS", "cgroupDriver", "cpuManagerPolicy", "singleProcessOOMKill", "cpuManagerPolicyOptions",
            "cpuManagerReconcilePeriod", "draManagerReconcilePeriod", "memoryManagerPolicy", "topologyManagerPolicy",
            "topologyManagerScope", "topologyManagerPolicyOptions", "qosReserved", "runtimeRequestTimeout", "hairpinMode",
            "maxPods", "podCIDR", "podPidsLimit", "resolvConf", "runOnce", "cpuCFSQuota", "cpuCFSQuotaPeriod",
            "nodeStatusMaxImages", "maxOpenFiles", "contentType", "kubeAPIQPS", "kubeAPIBurst", "serializeImagePulls",
            "maxParallelImagePulls", "evictionHard", "evictionSoft", "evictionSoftGracePeriod",
            "evictionPressureTransitionPeriod", "evictionMaxPodGracePeriod", "evictionMinimumReclaim",
            "mergeDefaultEvictionSettings", "podsPerCore", "enableControllerAttachDetach", "protectKernelDefaults",
            "makeIPTablesUtilChains", "iptablesMasqueradeBit", "iptablesDropBit", "featureGates", "failSwapOn"),
        S("memorySwap", V("swapBehavior")),
        .. Vs("containerLogMaxSize", "containerLogMaxFiles", "containerLogMaxWorkers", "containerLogMonitorInterval",
            "configMapAndSecretChangeDetectionStrategy", "systemReserved", "kubeReserved", "reservedSystemCPUs",
            "showHiddenMetricsForVersion", "systemReservedCgroup", "kubeReservedCgroup", "enforceNodeAllocatable",
            "allowedUnsafeSysctls", "volumePluginDir", "providerID", "kernelMemcgNotification"),
        Logging(),
        .. Vs("enableSystemLogHandler", "enableSystemLogQuery", "shutdownGracePeriod", "shutdownGracePeriodCriticalPods"),
        L("shutdownGracePeriodByPodPriority", V("priority"), V("shutdownGracePeriodSeconds")),
        S("crashLoopBackOff", V("maxContainerRestartPeriod")),
        L("reservedMemory", V("numaNode"), V("limits")),
        .. Vs("enableProfilingHandler", "enableDebugFlagsHandler", "seccompDefault", "memoryThrottlingFactor",
            "memoryReservationPolicy"),
        L("registerWithTaints", V("key"), V("value"), V("effect"), V("timeAdded")),
        .. Vs("registerNode", "tracing", "localStorageCapacityIsolation", "containerRuntimeEndpoint", "imageServiceEndpoint",
            "failCgroupV1"),
        S("userNamespaces", V("idsPerPod")),
    ]);

    /// <summary>
    /// KubeProxyConfiguration, from staging/src/k8s.io/kube-proxy/config/v1alpha1/types.go: the newest stored version
    /// (kubernetes/kubernetes 052d2d84: nftables, conntrack.tcpBeLiberal/udpTimeout/udpStreamTimeout,
    /// iptables.localhostNodePorts/snatNodeInternalIP, windowsRunAsService) and a 1.18-era copy (swisstxt/kubernetes
    /// 77ce102d: detectLocalMode, showHiddenMetricsForVersion, bindAddressHardFail), whose udpIdleTimeout (userspace
    /// proxy, removed in 1.26) is kept. That copy's ipvs.excludeExternalIP is a fork patch that upstream never had:
    /// kube-proxy 1.18/1.19 default dumps and kubeadm's ConfigMaps do not show it, so it is not listed.
    /// clientConnection is component-base's ClientConnectionConfiguration.
    /// </summary>
    public static ComponentFieldSet KubeProxy { get; } = new([
        V("featureGates"),
        S("clientConnection", Vs("kubeconfig", "acceptContentTypes", "contentType", "qps", "burst")),
        Logging(),
        .. Vs("hostnameOverride", "bindAddress", "healthzBindAddress", "metricsBindAddress", "bindAddressHardFail",
            "enableProfiling", "showHiddenMetricsForVersion", "mode"),
        S("iptables", Vs("masqueradeBit", "masqueradeAll", "localhostNodePorts", "snatNodeInternalIP", "syncPeriod", "minSyncPeriod")),
        S("ipvs", Vs("syncPeriod", "minSyncPeriod", "scheduler", "excludeCIDRs", "strictARP", "tcpTimeout", "tcpFinTimeout", "udpTimeout")),
        S("nftables", Vs("masqueradeBit", "masqueradeAll", "syncPeriod", "minSyncPeriod")),
        S("winkernel", Vs("networkName", "sourceVip", "enableDSR", "rootHnsEndpointName", "forwardHealthCheckVip")),
        V("detectLocalMode"),
        S("detectLocal", Vs("bridgeInterface", "interfaceNamePrefix")),
        .. Vs("clusterCIDR", "nodePortAddresses", "oomScoreAdj"),
        S("conntrack", Vs("maxPerCore", "min", "tcpEstablishedTimeout", "tcpCloseWaitTimeout", "tcpBeLiberal", "udpTimeout", "udpStreamTimeout")),
        .. Vs("configSyncPeriod", "portRange", "windowsRunAsService", "udpIdleTimeout"),
    ]);

    /// <summary>
    /// The known field closest to an unknown one: the same name in another letter case, else the one name a single
    /// edit away (one letter added, removed, replaced, or two neighbours swapped); null when there is none or more
    /// than one at that distance.
    /// </summary>
    public static string? Suggest(string unknown, ComponentFieldSet set)
    {
        var sameCase = set.Names.FirstOrDefault(n => string.Equals(n, unknown, StringComparison.OrdinalIgnoreCase));
        if (sameCase is not null) return sameCase;
        var near = set.Names.Where(n => OneEditApart(unknown, n)).Take(2).ToList();
        return near.Count == 1 ? near[0] : null;
    }

    /// <summary>Optimal string alignment distance of exactly one (case-insensitive).</summary>
    internal static bool OneEditApart(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        if (a == b || Math.Abs(a.Length - b.Length) > 1) return false;
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i]) i++;
        if (a.Length == b.Length)
        {
            if (a.AsSpan(i + 1).SequenceEqual(b.AsSpan(i + 1))) return true;   // one letter replaced
            return i + 1 < a.Length && a[i] == b[i + 1] && a[i + 1] == b[i] &&
                a.AsSpan(i + 2).SequenceEqual(b.AsSpan(i + 2));                  // two neighbours swapped
        }
        var (shorter, longer) = a.Length < b.Length ? (a, b) : (b, a);
        return shorter.AsSpan(i).SequenceEqual(longer.AsSpan(i + 1));           // one letter added or removed
    }
}
