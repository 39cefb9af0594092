using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KubePS.Core.Api;
using KubePS.Core.Cluster;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Configuration;
using KubePS.Core.Manifests;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Pki;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows.Reset;

namespace KubePS.Core.Workflows.Upgrade;

/// <summary>What Update-KubeCluster did to one node.</summary>
public sealed class KubeNodeUpgradeResult
{
    internal KubeNodeUpgradeResult(string hostName, string node, bool controlPlane, string from, string to, string status, TimeSpan duration,
        string? rolledBack, int batch, DateTimeOffset started, DateTimeOffset finished, string? message)
    {
        HostName = hostName; Node = node; Role = controlPlane ? "ControlPlane" : "Worker"; From = from; To = to; Status = status; Duration = duration;
        RolledBack = rolledBack; Batch = batch; Started = started; Finished = finished; Message = message;
    }

    public string HostName { get; }
    public string Node { get; }
    public string Role { get; }
    /// <summary>The kubelet version before.</summary>
    public string From { get; }
    public string To { get; }
    /// <summary>Upgraded, UpToDate (nothing to do: a re-run), NotStarted (declined, or after a failure), Failed, RolledBack.</summary>
    public string Status { get; }
    public TimeSpan Duration { get; }
    /// <summary>The component put back on its backed-up manifest, or null.</summary>
    public string? RolledBack { get; }
    /// <summary>0 for control planes, 1, 2, ... for the worker batches.</summary>
    public int Batch { get; }
    public DateTimeOffset Started { get; }
    public DateTimeOffset Finished { get; }
    public string? Message { get; }

    public override string ToString() => $"{Node}: {From} -> {To} {Status}";
}

/// <summary>What to upgrade to and how.</summary>
public sealed record UpgradeRequest
{
    public required KubeVersion Version { get; init; }
    /// <summary>The nodes to upgrade by name; empty for every node.</summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];
    /// <summary>Workers upgraded at the same time: a number, or a percentage of the workers (rounded up, at least 1).</summary>
    public string MaxUnavailable { get; init; } = "1";
    public bool SkipDrain { get; init; }
    /// <summary>How kubelet and kubectl are installed (repository, mirror, package files or binaries); the version and the packages are set by the upgrade.</summary>
    public KubePackageOptions? Packages { get; init; }
    public DrainOptions Drain { get; init; } = new() { IgnoreDaemonSets = true };
    /// <summary>How long each control-plane component has to come back on its new manifest (kubeadm: 5 minutes).</summary>
    public TimeSpan ComponentTimeout { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan NodeReadyTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Renew the control-plane certificates as kubeadm upgrade does by default.</summary>
    public bool RenewCertificates { get; init; } = true;

    /// <summary>How many workers a batch takes.</summary>
    public int BatchSize(int workers)
    {
        var text = MaxUnavailable.Trim();
        if (text.EndsWith('%') && int.TryParse(text[..^1], out var pct) && pct is > 0 and <= 100)
            return Math.Max(1, (int)Math.Ceiling(workers * pct / 100.0));
        if (int.TryParse(text, out var n) && n > 0) return n;
        throw new KubeException("Upgrade.InvalidMaxUnavailable", $"-MaxUnavailable '{MaxUnavailable}' is neither a positive number nor a percentage from 1% to 100%.",
            KubeErrorCategory.InvalidArgument, MaxUnavailable, "Give e.g. 1, 2 or 25%.");
    }

    public void Validate()
    {
        BatchSize(1);
        Drain.Validate();
        if (ComponentTimeout <= TimeSpan.Zero || NodeReadyTimeout <= TimeSpan.Zero)
            throw new KubeException("Upgrade.InvalidTimeout", "The component and node timeouts must be positive.", KubeErrorCategory.InvalidArgument, null, "Give positive timeouts.");
        if (Packages is { } p) KubePackages.Validate(p with { Version = Version, Packages = ["kubelet", "kubectl"] });
    }
}

/// <summary>
/// kubeadm's upgrade, driven for the whole cluster: the skew policy and every blocker are checked before anything is
/// touched; then the first control-plane node (upgrade apply: manifests and etcd data backed up under
/// /etc/kubernetes/tmp, certificates renewed, etcd then kube-apiserver, kube-controller-manager and kube-scheduler
/// replaced one at a time, each waited for and rolled back to its backup when it does not come back; kubeadm-config and
/// the kubelet-config ConfigMap updated), the other control-plane nodes one at a time (upgrade node), the addons
/// (CoreDNS and kube-proxy) once every control plane is done, then the workers in batches of MaxUnavailable. Each node
/// is drained, its kubelet configuration refreshed from the cluster, kubelet and kubectl moved to the version, the
/// kubelet restarted, the Node waited Ready at the new version and uncordoned. Nodes already at the version are
/// UpToDate, so an interrupted upgrade goes on where it stopped when run again. Each node is asked through
/// ShouldChange (so -WhatIf lists the plan in order).
/// </summary>
public static class UpgradeWorkflow
{
    public static async Task<IReadOnlyList<KubeNodeUpgradeResult>> RunAsync(KubeApiClient api, UpgradeRequest request,
        Func<KubeNode, CancellationToken, Task<KubeNodeSession>> sessionFor, IOperationSink sink, CancellationToken ct)
    {
        request.Validate();
        // 1. Everything is checked before anything is touched.
        var state = await ClusterState.ReadAsync(api, ct).ConfigureAwait(false);
        var order = UpgradeOrder.Of(state, request);
        var target = order.Target;
        var release = VersionCatalog.Get(target);
        var controlPlanes = order.ControlPlanes;
        var workers = order.Workers;
        var cmText = (string?)(await api.GetAsync(KubeResource.ConfigMap, "kube-system", UploadConfigObjects.KubeadmConfigMapName, ct).ConfigureAwait(false))
            ?["data"]?[UploadConfigObjects.ClusterConfigurationKey]
            ?? throw new KubeException("Upgrade.NoKubeadmConfig", "The cluster has no kube-system/kubeadm-config ConfigMap with a ClusterConfiguration: it was not made by kubeadm or KubePS.",
                KubeErrorCategory.ObjectNotFound, "kubeadm-config", "Upgrade clusters made by kubeadm or Initialize-KubeControlPlane.");
        var config = KubeClusterConfiguration.Parse(cmText, "kubeadm-config");
        config.Cluster.KubernetesVersion = target.ToString();
        var ctx = new UpgradeContext(api, request, config, target, release, sink);
        // The kubelet configuration every node gets must be there before the first node is drained, not found missing
        // after; read once here, it serves every node's kubelet step.
        ctx.KubeletDocument = (await KubeletDocumentAsync(ctx, ct).ConfigureAwait(false)).Yaml;
        var sessions = new Dictionary<string, KubeNodeSession>();
        foreach (var n in order.SelectedControlPlanes.Concat(workers))
            sessions[n.Name] = await sessionFor(n, ct).ConfigureAwait(false);

        var results = new List<KubeNodeUpgradeResult>();
        bool stop = false;
        // 2. Control planes: the first does upgrade apply, then the others one at a time.
        bool applied = order.Applied;
        foreach (var cp in order.SelectedControlPlanes)
        {
            if (stop) { results.Add(NotStarted(sessions[cp.Name], cp, target, 0)); continue; }
            var r = await UpgradeNodeAsync(ctx, sessions[cp.Name], cp, controlPlane: true, apply: !applied, batch: 0, state, ct).ConfigureAwait(false);
            results.Add(r);
            sink.WriteObject(r);
            if (r.Status is "Upgraded" or "UpToDate") applied = true;
            else if (r.Status != "NotStarted") stop = true;
        }
        // 3. Addons once every control plane is at the version (kubeadm 1.28+ order).
        if (!stop && controlPlanes.All(cp => results.Any(r => r.Node == cp.Name && r.Status is "Upgraded" or "UpToDate") || UpgradeOrder.AtTarget(state, cp, target)))
            await UpgradeAddonsAsync(ctx, controlPlanes, sessions, ct).ConfigureAwait(false);
        // 4. Workers in batches.
        int batch = 0;
        foreach (var group in order.WorkerBatches)
        {
            batch++;
            if (stop)
            {
                foreach (var w in group) results.Add(NotStarted(sessions[w.Name], w, target, batch));
                continue;
            }
            sink.WriteVerbose($"upgrading workers, batch {batch}: {string.Join(", ", group.Select(w => w.Name))}");
            var batchResults = await Task.WhenAll(group.Select(w => UpgradeNodeAsync(ctx, sessions[w.Name], w, controlPlane: false, apply: false, batch, state, ct))).ConfigureAwait(false);
            foreach (var r in batchResults) { results.Add(r); sink.WriteObject(r); }
            if (batchResults.Any(r => r.Status is "Failed" or "RolledBack")) stop = true;
        }
        return results;
    }

    static KubeNodeUpgradeResult NotStarted(KubeNodeSession s, KubeNode n, KubeVersion target, int batch) =>
        new(s.HostName, n.Name, n.IsControlPlane, n.KubeletVersion, target.ToString(), "NotStarted", TimeSpan.Zero, null, batch,
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "an earlier node failed; the upgrade stopped before this one");

    sealed class UpgradeContext(KubeApiClient api, UpgradeRequest request, KubeClusterConfiguration config, KubeVersion target, ReleaseInfo release, IOperationSink sink)
    {
        public KubeApiClient Api { get; } = api;
        public UpgradeRequest Request { get; } = request;
        public KubeClusterConfiguration Config { get; } = config;
        public KubeVersion Target { get; } = target;
        public ReleaseInfo Release { get; } = release;
        public IOperationSink Sink { get; } = sink;
        /// <summary>Confirmed already per node: the steps below are not asked again.</summary>
        public IOperationSink Confirmed { get; } = new DrainPhase.Unasked(sink);
        public string Stamp { get; } = DateTime.UtcNow.ToString("yyyy-MM-dd-HH-mm-ss");
        /// <summary>Where upgrade apply/node keeps the manifests from before (kubeadm's kubeadm-backup-manifests-&lt;time&gt;).</summary>
        public string ManifestBackup => $"/etc/kubernetes/tmp/kubeadm-backup-manifests-{Stamp}";
        /// <summary>Where etcd's data from before is kept when etcd changes (kubeadm's kubeadm-backup-etcd-&lt;time&gt;).</summary>
        public string EtcdBackup => $"/etc/kubernetes/tmp/kubeadm-backup-etcd-{Stamp}";
        public string? KubeletDocument { get; set; }
    }

    static async Task<KubeNodeUpgradeResult> UpgradeNodeAsync(UpgradeContext c, KubeNodeSession session, KubeNode node, bool controlPlane, bool apply, int batch,
        ClusterState state, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        string from = node.KubeletVersion, to = c.Target.ToString();
        KubeNodeUpgradeResult Result(string status, string? rolledBack = null, string? message = null) =>
            new(session.HostName, node.Name, controlPlane, from, to, status, watch.Elapsed, rolledBack, batch, started, DateTimeOffset.UtcNow, message);

        if (UpgradeOrder.AtTarget(state, node, c.Target) && !node.Unschedulable && !apply)
        {
            c.Sink.WriteVerbose($"{node.Name}: already at {to}");
            return Result("UpToDate");
        }
        string what = controlPlane
            ? (apply ? $"Upgrade the control plane to {to} (kubeadm upgrade apply: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, cluster configuration), then its kubelet"
                     : $"Upgrade this control-plane node to {to} (kubeadm upgrade node), then its kubelet")
            : $"Upgrade the kubelet to {to} (batch {batch})";
        if (!c.Request.SkipDrain) what = "Drain, " + char.ToLowerInvariant(what[0]) + what[1..] + ", uncordon";
        if (!await c.Sink.ShouldChangeAsync(node.Name, what, ct).ConfigureAwait(false)) return Result("NotStarted", message: "declined");
        try
        {
            if (!c.Request.SkipDrain)
                await NodeDrain.SuspendAsync(c.Api, node.Name, drain: true, c.Request.Drain, c.Confirmed, ct).ConfigureAwait(false);
            if (controlPlane)
            {
                var rolledBack = await UpgradeStaticPodsAsync(c, session, node, ct).ConfigureAwait(false);
                if (rolledBack is not null)
                    return Result("RolledBack", rolledBack,
                        $"{rolledBack} did not become Ready on {to} within {c.Request.ComponentTimeout.TotalSeconds:0} s and was put back on its backed-up manifest " +
                        $"(the manifests from before are in {c.ManifestBackup}" +
                        (rolledBack == "etcd" ? $", etcd's data from before in {c.EtcdBackup}/etcd" : "") +
                        "); the upgrade stopped here (the node stays cordoned)");
                if (apply) await UploadConfigurationAsync(c, ct).ConfigureAwait(false);
            }
            await UpgradeKubeletAsync(c, session, node, controlPlane, ct).ConfigureAwait(false);
            await NodeDrain.ResumeAsync(c.Api, node.Name, c.Confirmed, ct).ConfigureAwait(false);
            return Result("Upgraded");
        }
        catch (KubeException e)
        {
            var error = new KubeException(e.ErrorId, $"{node.Name}: {e.Message}", e.Category, node.Name, e.RecommendedAction, e);
            c.Sink.WriteError(error);
            return Result("Failed", message: e.Message);
        }
    }

    // ---------------------------------------------------------------- control plane

    /// <summary>Backs up the manifests (and etcd's data when etcd changes), renews the certificates and replaces each component in turn. Returns the component rolled back, or null.</summary>
    static async Task<string?> UpgradeStaticPodsAsync(UpgradeContext c, KubeNodeSession session, KubeNode node, CancellationToken ct)
    {
        var paths = StaticPodComponent.Order.ToDictionary(n => n, StaticPodManifests.PathOf);
        var caKey = c.Config.CertificatesDir.TrimEnd('/') + "/ca.key";
        var files = await session.ReadFilesAsync([.. paths.Values, caKey], ct).ConfigureAwait(false);
        bool externalCA = files[caKey] is null;
        if (files[caKey] is { } k) CryptographicOperations.ZeroMemory(k);
        var apiserver = files[paths["kube-apiserver"]] is { } a ? Encoding.UTF8.GetString(a)
            : throw new KubeException("Upgrade.ManifestMissing", $"{node.Name} has no {paths["kube-apiserver"]}: it is not a kubeadm control-plane node.",
                KubeErrorCategory.ObjectNotFound, node.Name, "Upgrade control-plane nodes made by kubeadm or KubePS.");
        var address = Regex.Match(apiserver, @"(?m)^\s*-\s*--advertise-address=(\S+)") is { Success: true } m && IPAddress.TryParse(m.Groups[1].Value, out var ip)
            ? ip : throw new KubeException("Upgrade.AdvertiseAddressUnknown", $"{node.Name}: the kube-apiserver manifest has no --advertise-address.",
                KubeErrorCategory.InvalidData, node.Name, "Check /etc/kubernetes/manifests/kube-apiserver.yaml.");
        var facts = await NodeProbe.GetFactsAsync(session, new NodeProbeOptions { Paths = ConfigurationAdapters.ProbePaths(c.Config) }, refresh: true, ct).ConfigureAwait(false);
        var manifestRequest = ConfigurationAdapters.ToControlPlaneManifestRequest(c.Config, node.Name, address, facts, externalCA);
        var rendered = new Dictionary<string, NodeFile>
        {
            ["kube-apiserver"] = StaticPodManifests.KubeApiServer(manifestRequest),
            ["kube-controller-manager"] = StaticPodManifests.KubeControllerManager(manifestRequest),
            ["kube-scheduler"] = StaticPodManifests.KubeScheduler(manifestRequest),
        };
        if (!c.Config.IsExternalEtcd && files[paths["etcd"]] is { } currentEtcd)
        {
            var etcd = StaticPodManifests.Etcd(manifestRequest);
            // etcd is never downgraded: keep a newer image than the version's.
            var now = Regex.Match(Encoding.UTF8.GetString(currentEtcd), @"image:\s*\S+:(\S+)");
            var next = Regex.Match(Encoding.UTF8.GetString(etcd.Content), @"image:\s*\S+:(\S+)");
            if (now.Success && next.Success && UpgradePlanner.NewerEtcd(now.Groups[1].Value, next.Groups[1].Value) == now.Groups[1].Value && now.Groups[1].Value != next.Groups[1].Value)
                c.Sink.WriteVerbose($"{node.Name}: etcd stays at {now.Groups[1].Value} (newer than {next.Groups[1].Value}; kubeadm never downgrades etcd)");
            else rendered["etcd"] = etcd;
        }
        var changed = StaticPodComponent.Order.Where(rendered.ContainsKey)
            .Where(n => files[paths[n]] is not { } old || !old.AsSpan().SequenceEqual(rendered[n].Content)).ToList();
        if (changed.Count == 0)
        {
            c.Sink.WriteVerbose($"{node.Name}: the control-plane manifests are already those of {c.Target}");
            return null;
        }
        // Backups: every manifest, and etcd's data when etcd changes.
        string backup = c.ManifestBackup;
        var script = new StringBuilder($"set -e\numask 077\nmkdir -p {Bash.Quote(backup)}\n");
        foreach (var p in paths.Values.Where(p => files[p] is not null)) script.Append($"cp -p {Bash.Quote(p)} {Bash.Quote(backup)}/\n");
        if (changed.Contains("etcd"))
        {
            string etcdBackup = c.EtcdBackup;
            script.Append($"mkdir -p {Bash.Quote(etcdBackup)}\n[ -d {Bash.Quote(c.Config.EtcdDataDir)} ] && cp -a {Bash.Quote(c.Config.EtcdDataDir)} {Bash.Quote(etcdBackup)}/etcd\n");
        }
        script.Append("exit 0\n");
        var r = await session.RunAsync(script.ToString(), TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
        if (!r.Succeeded)
            throw new KubeException("Upgrade.BackupFailed", $"{node.Name}: backing up the manifests to {backup} failed: {r.Error.Trim()}", KubeErrorCategory.WriteError,
                node.Name, "Free space under /etc/kubernetes/tmp, then run the upgrade again.");
        c.Sink.WriteVerbose($"{node.Name}: manifests backed up to {backup}");
        if (c.Request.RenewCertificates)
        {
            var renewed = await CertificateRenewal.RenewAsync(session, new CertificateRenewalOptions
            {
                Paths = new NodeCertificatePaths { CertificatesDir = c.Config.CertificatesDir }, KubernetesVersion = c.Target, Restart = false,
            }, c.Confirmed, ct).ConfigureAwait(false);
            c.Sink.WriteVerbose($"{node.Name}: renewed {renewed.Count} certificate(s)");
        }
        foreach (var component in changed)
        {
            var old = files[paths[component]] ?? [];
            if (!await StaticPodUpgrade.ReplaceAsync(session, c.Api, node.Name, component, paths[component], rendered[component].Content, old,
                    c.Request.ComponentTimeout, c.Sink, ct).ConfigureAwait(false))
                return component;
        }
        return null;
    }

    /// <summary>upgrade apply's post-upgrade: kubeadm-config with the new version, the kubelet-config ConfigMap of the new minor.</summary>
    static async Task UploadConfigurationAsync(UpgradeContext c, CancellationToken ct)
    {
        var current = await c.Api.GetAsync(KubeResource.ConfigMap, "kube-system", UploadConfigObjects.KubeadmConfigMapName, ct).ConfigureAwait(false);
        IReadOnlyList<ControlPlaneApiEndpoint>? endpoints = null;
        if (c.Release.Has("kubeadm-config.cluster-status"))
            endpoints = UploadConfigObjects.ApiEndpoints((string?)current?["data"]?[UploadConfigObjects.ClusterStatusKey], c.Config.BindPort);
        foreach (var o in UploadConfigObjects.Kubeadm(c.Target, ConfigurationAdapters.ClusterConfigurationYaml(c.Config), endpoints))
            await c.Api.ApplyAsync(o, force: true, ct).ConfigureAwait(false);
        var document = await KubeletDocumentAsync(c, ct).ConfigureAwait(false);
        foreach (var o in UploadConfigObjects.Kubelet(c.Target, document.Yaml, document.Hash))
            await c.Api.ApplyAsync(o, force: true, ct).ConfigureAwait(false);
        c.Sink.WriteVerbose($"uploaded kubeadm-config ({c.Target}) and {UploadConfigObjects.KubeletConfigMapName(c.Target)}");
    }

    /// <summary>The cluster's KubeletConfiguration: from the new minor's ConfigMap if there, else from the old one (kubelet-config-1.NN up to 1.23).</summary>
    static async Task<(string Yaml, string? Hash)> KubeletDocumentAsync(UpgradeContext c, CancellationToken ct)
    {
        foreach (var name in new[] { UploadConfigObjects.KubeletConfigMapName(c.Target) }
                     .Concat(VersionCatalog.Releases.Where(r => r.Minor.CompareTo(c.Target.MinorVersion) < 0).Reverse().Select(r => r.KubeletConfigMapName)).Distinct())
        {
            var cm = await c.Api.GetAsync(KubeResource.ConfigMap, "kube-system", name, ct).ConfigureAwait(false);
            if ((string?)cm?["data"]?[UploadConfigObjects.KubeletConfigMapKey] is { } doc)
            {
                var signed = cm?["metadata"]?["annotations"]?[UploadConfigObjects.ComponentConfigHashAnnotation] is not null;
                return (doc, signed ? ComponentConfigHash.Compute(new Dictionary<string, string> { [UploadConfigObjects.KubeletConfigMapKey] = doc }) : null);
            }
        }
        throw new KubeException("Upgrade.NoKubeletConfig", "The cluster has no kubelet-config ConfigMap to take the kubelet configuration from.",
            KubeErrorCategory.ObjectNotFound, "kubelet-config", "Upload it with kubeadm init phase upload-config kubelet, then run the upgrade again.");
    }

    // ---------------------------------------------------------------- addons

    static async Task UpgradeAddonsAsync(UpgradeContext c, IReadOnlyList<KubeNode> controlPlanes, Dictionary<string, KubeNodeSession> sessions, CancellationToken ct)
    {
        var first = controlPlanes.FirstOrDefault(cp => sessions.ContainsKey(cp.Name));
        if (first is null) return;
        var caPath = c.Config.CertificatesDir.TrimEnd('/') + "/ca.crt";
        var files = await sessions[first.Name].ReadFilesAsync([caPath], ct).ConfigureAwait(false);
        var ca = files[caPath] is { } bytes ? Encoding.ASCII.GetString(bytes)
            : throw new KubeException("Upgrade.CAMissing", $"{first.Name} has no {caPath}.", KubeErrorCategory.ObjectNotFound, first.Name, "Check the node's certificates.");
        var request = ConfigurationAdapters.ToClusterObjectsRequest(c.Config, first.InternalIP ?? first.HostName, ca);
        if (c.Config.Cluster.Dns?.Disabled != true)
            await ApplyKeepingConfigAsync(c, CoreDnsObjects.Render(request), "coredns", ct).ConfigureAwait(false);
        if (c.Config.Cluster.Proxy?.Disabled != true)
            await ApplyKeepingConfigAsync(c, KubeProxyObjects.Render(request, null, data => ComponentConfigHash.Compute(data)), "kube-proxy", ct).ConfigureAwait(false);
        c.Sink.WriteVerbose($"addons CoreDNS and kube-proxy at {c.Target}");
    }

    /// <summary>Applies an addon's objects, but leaves its existing ConfigMap (the Corefile, the kube-proxy configuration) as the cluster has it.</summary>
    static async Task ApplyKeepingConfigAsync(UpgradeContext c, IReadOnlyList<JsonObject> objects, string configMap, CancellationToken ct)
    {
        foreach (var o in objects)
        {
            if ((string?)o["kind"] == "ConfigMap" && (string?)o["metadata"]?["name"] == configMap
                && await c.Api.GetAsync(KubeResource.ConfigMap, "kube-system", configMap, ct).ConfigureAwait(false) is not null)
                continue;
            await c.Api.ApplyAsync(o, force: true, ct).ConfigureAwait(false);
        }
    }

    // ---------------------------------------------------------------- kubelet

    /// <summary>config.yaml from the cluster (old one backed up), kubelet and kubectl at the version, kubelet restarted, Node Ready at the version.</summary>
    static async Task UpgradeKubeletAsync(UpgradeContext c, KubeNodeSession session, KubeNode node, bool controlPlane, CancellationToken ct)
    {
        var document = c.KubeletDocument ??= (await KubeletDocumentAsync(c, ct).ConfigureAwait(false)).Yaml;
        var facts = await NodeProbe.GetFactsAsync(session, new NodeProbeOptions { Paths = ConfigurationAdapters.ProbePaths(c.Config) }, refresh: false, ct).ConfigureAwait(false);
        var kubeletRequest = ConfigurationAdapters.ToKubeletRequest(c.Config, node.Name, facts, worker: !controlPlane);
        var configFile = KubeletFiles.ConfigFromCluster(document, kubeletRequest);
        var backup = $"/etc/kubernetes/tmp/kubeadm-kubelet-config-{c.Stamp}";
        var r = await session.RunAsync($"set -e\nif [ -f {KubeletFiles.ConfigPath} ]; then umask 077; mkdir -p {backup}; cp -p {KubeletFiles.ConfigPath} {backup}/config.yaml; fi\n",
            TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
        if (!r.Succeeded) c.Sink.WriteWarning($"{node.Name}: could not back up {KubeletFiles.ConfigPath}: {r.Error.Trim()}");
        await session.WriteFilesAsync([configFile], ct).ConfigureAwait(false);

        var options = (c.Request.Packages ?? new KubePackageOptions()) with { Version = c.Target, Packages = ["kubelet", "kubectl"], EnableKubelet = false };
        await NodePreparation.InstallPackagesAsync(session, _ => options, c.Confirmed, ct).ConfigureAwait(false);
        var restart = await session.RunAsync("systemctl daemon-reload && systemctl restart kubelet", TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
        if (!restart.Succeeded)
            throw new KubeException("Upgrade.KubeletRestartFailed", $"{node.Name}: systemctl restart kubelet failed: {restart.Error.Trim()}",
                KubeErrorCategory.InvalidOperation, node.Name, "Look at journalctl -u kubelet on the node.");
        var until = DateTime.UtcNow + c.Request.NodeReadyTimeout;
        KubeNode? now = null;
        while (DateTime.UtcNow < until)
        {
            try { now = await NodeInventory.GetAsync(c.Api, node.Name, ct).ConfigureAwait(false); }
            catch (KubeException e) when (e.ErrorId is "Api.Unreachable" or "Api.ServerError") { now = null; }
            if (now is { Ready: true } && now.KubeletKubeVersion is { } v && v.CompareTo(c.Target) == 0) return;
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }
        throw new KubeException("Upgrade.NodeNotReady",
            $"{node.Name} was not Ready with kubelet {c.Target} within {c.Request.NodeReadyTimeout.TotalSeconds:0} s (now: {(now is null ? "unknown" : now.Status + ", kubelet " + now.KubeletVersion)}). The node stays cordoned.",
            KubeErrorCategory.OperationTimeout, node.Name, "Look at the kubelet's log on the node, then run the upgrade again.");
    }
}
