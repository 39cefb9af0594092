using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Manifests;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Workflows.Init;

namespace KubePS.Core.Workflows.Join;

/// <summary>
/// kubelet-start of a join (kubeadm-facts §6.3): the cluster CA (when not there yet) and bootstrap-kubelet.conf with
/// the bootstrap token, config.yaml from the cluster's kubelet-config ConfigMap, kubeadm-flags.env for this node (a
/// worker's taints as --register-with-taints), kubeadm's systemd drop-in when no package brought one, then the kubelet
/// enabled and (re)started. The TLS bootstrap itself is the kubelet's and the controller-manager's (a CSR approved and
/// signed by them, never by KubePS): this phase waits, on the node, for kubelet.conf and the kubelet's healthz, removes
/// bootstrap-kubelet.conf, and sets the CRI socket annotation (versions that have it) as the node itself. A node that
/// has its kubelet.conf already is not bootstrapped again; a Ready Node of the same name that is not this node is
/// refused (Join.NodeNameTaken) before anything is written.
/// </summary>
sealed class JoinKubeletStartPhase : Phase<JoinContext>
{
    public override string Name => "kubelet-start";
    public override string Summary => "Write kubelet settings, certificates and (re)start the kubelet";

    public override async Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct)
    {
        var kubeletConf = ControlPlaneContext.KubeConfigPath(KubeConfigRole.Kubelet);
        bool bootstrapped = c.Node.Exists(kubeletConf);
        var files = new List<NodeFile>();
        var caPath = c.CertPath("ca.crt");
        if (!c.Node.Exists(caPath)) files.Add(new NodeFile(caPath, Encoding.ASCII.GetBytes(c.Cluster.CACertificatePem), NodeFile.DefaultMode));
        if (!bootstrapped)
        {
            await RefuseTakenNameAsync(c, ct).ConfigureAwait(false);
            files.Add(new NodeFile(JoinContext.BootstrapKubeletConfPath, Encoding.UTF8.GetBytes(KubeConfigYaml.Serialize(c.Cluster.BootstrapKubeConfig())),
                (int)Pki.Modes.Secret));
        }
        var request = c.KubeletRequest();
        var kubeletFiles = new List<NodeFile> { KubeletFiles.FlagsEnv(request) };
        if (KubeletFiles.InstanceConfig(request) is { } instance) kubeletFiles.Add(instance);
        kubeletFiles.Add(KubeletFiles.ConfigFromCluster(c.Cluster.KubeletConfigDocument, request));
        files.AddRange(kubeletFiles.Select(f => new NodeFile(f.Path, f.Content, f.Mode, f.Owner, f.Group) { DirectoryMode = KubeletFiles.KubeletDirMode }));
        var units = KubeletStartPhase<JoinContext>.Units(c);
        var written = await c.Node.WriteAsync(Name, [.. files, .. units], ct).ConfigureAwait(false);

        var kubelet = c.Facts?.Services.GetValueOrDefault("kubelet");
        var script = new List<string> { "set -e" };
        if (written.Any(p => units.Any(u => u.Path == p))) script.Add("systemctl daemon-reload");
        if (kubelet is { IsEnabled: false } || (kubelet is null && written.Count > 0)) script.Add("systemctl enable kubelet");
        if (written.Count > 0 || kubelet is { IsActive: false }) script.Add("systemctl restart kubelet");
        if (script.Count > 1)
        {
            if (!await c.Node.RunAsync(Name, string.Join(", ", script.Skip(1)), string.Join("\n", script) + "\n", TimeSpan.FromMinutes(2), ct).ConfigureAwait(false))
                return;   // declined (-WhatIf): nothing to wait for
        }
        else sink.WriteVerbose($"{c.Node.HostName}: [{Name}] the kubelet runs with these settings already");
        if (c.Changes.AnyDeclined) return;

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var wait = await c.Node.QueryAsync(Name, WaitScript(kubeletConf, c.Request.TlsBootstrapTimeout), c.Request.TlsBootstrapTimeout * 2 + TimeSpan.FromSeconds(30), ct)
            .ConfigureAwait(false);
        if (wait is null)
        {
            sink.WriteVerbose($"{c.Node.HostName}: [{Name}] a dry run starts no kubelet, so there is no TLS bootstrap to wait for");
            return;
        }
        var states = ControlPlaneHealth.Parse(wait.Output);
        if (states.GetValueOrDefault("kubelet.conf") != "present")
            throw new KubeException("Join.TlsBootstrapTimeout",
                $"{c.Node.HostName}: the kubelet did not complete its TLS bootstrap within {c.Request.TlsBootstrapTimeout} ({kubeletConf} did not appear).",
                KubeErrorCategory.OperationTimeout, c.Node.HostName,
                $"Look at the kubelet's log on {c.Node.HostName} (journalctl -u kubelet): it must reach {c.Cluster.Discovered.Server} with the bootstrap token, and its CSR must be approved (kubectl get csr); the controller-manager approves and signs node CSRs.");
        if (!wait.Succeeded)
            throw new KubeException("Join.KubeletUnhealthy",
                $"{c.Node.HostName}: the kubelet has its kubelet.conf but did not become healthy within {c.Request.TlsBootstrapTimeout} ({ControlPlaneHealth.Kubelet.Url}).",
                KubeErrorCategory.OperationTimeout, c.Node.HostName, $"Look at the kubelet's log on {c.Node.HostName}: {ControlPlaneHealth.Kubelet.LogHint(null)}.");
        c.BootstrapWait = watch.Elapsed;
        sink.WriteVerbose($"{c.Node.HostName}: [{Name}] the kubelet completed its TLS bootstrap and is healthy ({watch.Elapsed.TotalSeconds:F1}s)");

        if (states.GetValueOrDefault("bootstrap-kubelet.conf") == "present")
            await c.Node.RunAsync(Name, $"remove {JoinContext.BootstrapKubeletConfPath} (the TLS bootstrap is done)",
                $"rm -f {JoinContext.BootstrapKubeletConfPath}\n", TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);

        await AnnotateCriSocketAsync(c, kubeletConf, sink, ct).ConfigureAwait(false);
    }

    /// <summary>kubeadm refuses to join as a name whose Node is registered and Ready: that is another machine.</summary>
    static async Task RefuseTakenNameAsync(JoinContext c, CancellationToken ct)
    {
        JsonObject? node;
        try { node = await c.Cluster.Store.GetAsync(KubeResource.Node, null, c.NodeName, ct).ConfigureAwait(false); }
        catch (KubeException e) when (e.ErrorId is "Api.Forbidden" or "Api.Unauthorized") { return; }
        if (node is null) return;
        var ready = (node["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(x => (string?)x["type"] == "Ready");
        if ((string?)ready?["status"] == "True")
            throw new KubeException("Join.NodeNameTaken",
                $"{c.Node.HostName}: a Node named '{c.NodeName}' is registered and Ready in the cluster already, and this node has no kubelet.conf of it: the name belongs to another machine.",
                KubeErrorCategory.ResourceExists, c.NodeName,
                "Join this node under another name (-NodeName), or remove the other Node first (kubectl delete node) if it is gone.");
    }

    /// <summary>Waits on the node for kubelet.conf, then for the kubelet's healthz; reports whether bootstrap-kubelet.conf is still there.</summary>
    static string WaitScript(string kubeletConf, TimeSpan timeout) =>
        "# KubePS: wait for the kubelet's TLS bootstrap (reads only)\n" +
        Preparation.Bash.Deadline(timeout) +
        $"while [ ! -s {kubeletConf} ]; do\n" +
        "  if [ $SECONDS -ge $end ]; then echo kubelet.conf=missing; exit 1; fi\n" +
        "  sleep 1\n" +
        "done\n" +
        "echo kubelet.conf=present\n" +
        $"if [ -e {JoinContext.BootstrapKubeletConfPath} ]; then echo bootstrap-kubelet.conf=present; else echo bootstrap-kubelet.conf=absent; fi\n" +
        ControlPlaneHealth.WaitScript([ControlPlaneHealth.Kubelet], timeout);

    /// <summary>
    /// The Node's kubeadm.alpha.kubernetes.io/cri-socket annotation (versions that have it), set as kubeadm sets it on a
    /// join: with the node's own new identity (its kubelet.conf), or for a control plane with its admin.conf.
    /// </summary>
    static async Task AnnotateCriSocketAsync(JoinContext c, string kubeletConf, IOperationSink sink, CancellationToken ct)
    {
        if (NodeObjects.CriSocketAnnotationPatch(c.KubernetesVersion, c.CriSocket) is not { } patch) return;
        string phase = "kubelet-start";
        string description = $"annotation {NodeObjects.CriSocketAnnotation}={c.CriSocket}";
        if (c.IsControlPlane)
        {
            var admin = await c.ClusterAsync(phase, ct).ConfigureAwait(false);
            var current = await admin.WaitForAsync(KubeResource.Node, null, c.NodeName, UploadConfigKubeletPhase.NodeRegistrationTimeout, ct).ConfigureAwait(false);
            await admin.PatchAsync(phase, KubeResource.Node, null, c.NodeName, current, _ => patch, description, ct).ConfigureAwait(false);
            return;
        }
        using var self = new ClusterApplier(new LiveClusterStore(new KubeApiClient(await NodeCredentialsAsync(c, kubeletConf, ct).ConfigureAwait(false))), sink, c.Changes);
        var node = await self.WaitForAsync(KubeResource.Node, null, c.NodeName, UploadConfigKubeletPhase.NodeRegistrationTimeout, ct).ConfigureAwait(false)
            ?? throw new KubeException("Join.NodeNotRegistered",
                $"{c.Node.HostName}: the kubelet did not register Node '{c.NodeName}' within {UploadConfigKubeletPhase.NodeRegistrationTimeout}.",
                KubeErrorCategory.ObjectNotFound, c.NodeName, $"Look at the kubelet's log on {c.Node.HostName} (journalctl -u kubelet).");
        await self.PatchAsync(phase, KubeResource.Node, null, c.NodeName, node, _ => patch, description, ct).ConfigureAwait(false);
    }

    /// <summary>The kubelet's own credentials, read from the node: kubelet.conf's server and CA, its client certificate and key.</summary>
    static async Task<KubeApiCredentials> NodeCredentialsAsync(JoinContext c, string kubeletConf, CancellationToken ct)
    {
        var read = await c.Node.Session.ReadFilesAsync([kubeletConf], ct).ConfigureAwait(false);
        var config = KubeConfigYaml.Parse(Encoding.UTF8.GetString(read[kubeletConf] ?? []), $"{c.Node.HostName}:{kubeletConf}");
        var cluster = config.CurrentCluster ?? config.Clusters.FirstOrDefault()?.Cluster;
        var user = config.CurrentUser ?? config.Users.FirstOrDefault()?.User;
        string? certPem = user?.ClientCertificateData is { Length: > 0 } cd ? Encoding.ASCII.GetString(cd) : null;
        string? keyPem = user?.HasClientKeyData == true ? Encoding.ASCII.GetString(user.ClientKeyData!) : null;
        var paths = new[] { user?.ClientCertificate, user?.ClientKey }.Where(p => p is not null && certPem is null | keyPem is null).Select(p => p!).Distinct().ToList();
        if (paths.Count > 0)
        {
            var more = await c.Node.Session.ReadFilesAsync(paths, ct).ConfigureAwait(false);
            if (certPem is null && user?.ClientCertificate is { } cp && more.GetValueOrDefault(cp) is { } cb) certPem = Encoding.ASCII.GetString(cb);
            if (keyPem is null && user?.ClientKey is { } kp && more.GetValueOrDefault(kp) is { } kb) keyPem = Encoding.ASCII.GetString(kb);
        }
        if (cluster?.Server is null || certPem is null || keyPem is null)
            throw new KubeException("Join.KubeletConfigIncomplete",
                $"{c.Node.HostName}: {kubeletConf} written by the TLS bootstrap has no server or no client certificate and key that KubePS can read.",
                KubeErrorCategory.InvalidData, kubeletConf, $"Look at {kubeletConf} and /var/lib/kubelet/pki on {c.Node.HostName}.");
        string ca = cluster.CertificateAuthorityData is { Length: > 0 } data ? Encoding.ASCII.GetString(data) : c.Cluster.CACertificatePem;
        return new KubeApiCredentials(new Uri(cluster.Server), ca, certPem, keyPem);
    }
}
