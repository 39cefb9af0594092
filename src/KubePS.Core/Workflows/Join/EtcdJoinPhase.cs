using System.Diagnostics;
using KubePS.Core.Api;
using KubePS.Core.Etcd;
using KubePS.Core.Manifests;
using KubePS.Core.Operations;
using KubePS.Core.Preparation;
using KubePS.Core.Workflows.Init;
using ManifestMember = KubePS.Core.Manifests.EtcdMember;
using EtcdMember = KubePS.Core.Etcd.EtcdMember;

namespace KubePS.Core.Workflows.Join;

/// <summary>
/// control-plane-join/etcd (stacked etcd, kubeadm-facts §6.4): the new member is added through the etcd v3 JSON
/// gateway of the running members (found from the etcd static Pods' kubeadm.kubernetes.io/etcd.advertise-client-urls
/// annotation), as a learner where the release does it by default, then this node's etcd manifest is written with
/// <c>--initial-cluster</c> naming every started member and <c>--initial-cluster-state=existing</c>; once the member
/// has started and caught up, a learner is promoted to a voting member. A node that is a started member already is
/// left alone (its manifest too); an added member that has not started is not added again.
/// </summary>
sealed class EtcdJoinPhase : Phase<JoinContext>
{
    public const string ClientUrlsAnnotation = "kubeadm.kubernetes.io/etcd.advertise-client-urls";

    public override string Name => "control-plane-join/etcd";
    public override string Summary => "Add a new local etcd member";
    public override bool ShouldRun(JoinContext c) => c.IsControlPlane && !c.Configuration.IsExternalEtcd;

    public override async Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct)
    {
        var manifestPath = StaticPodManifests.PathOf("etcd");
        if (c.Node.IsDryRun)
        {
            // No cluster to ask: the manifest names the first control plane's member and this one.
            var first = c.Request.ControlPlane;
            var members = new List<ManifestMember>();
            if (first is not null) members.Add(new ManifestMember(first.Node, "https://" + HostPort(first.AdvertiseAddress, 2380)));
            members.Add(new ManifestMember(c.NodeName, c.EtcdPeerUrl));
            c.EtcdMembers = members;
            c.Changes.Add(new WorkflowChange(Name, "etcd", $"add member {c.NodeName} {c.EtcdPeerUrl}{(c.Release.EtcdLearnerByDefault ? " as a learner, then promote it" : "")}", false));
            sink.WriteVerbose($"{c.Node.HostName}: [{Name}] a dry run adds no etcd member; the manifest names {string.Join(", ", members.Select(m => m.Name))}");
            await WriteManifestAsync(c, ct).ConfigureAwait(false);
            return;
        }

        var cluster = await c.ClusterAsync(Name, ct).ConfigureAwait(false);
        var endpoints = await EndpointsAsync(c, cluster, ct).ConfigureAwait(false);
        var pki = c.Pki;
        var etcdCA = pki.Get("etcd-ca");
        var client = pki.Get("apiserver-etcd-client");
        using var etcd = EtcdClient.FromPem(endpoints, etcdCA.CertificatePem, client.CertificatePem, client.KeyPem!, retryBudget: c.Request.NodeReadyTimeout);
        var target = "etcd " + string.Join(",", endpoints.Select(e => e.Authority));

        var list = await etcd.ListMembersAsync(ct).ConfigureAwait(false);
        var self = list.FirstOrDefault(m => m.PeerUrls.Contains(c.EtcdPeerUrl, StringComparer.OrdinalIgnoreCase));
        if (self is { IsStarted: true } && c.Node.Exists(manifestPath))
        {
            sink.WriteVerbose($"{c.Node.HostName}: [{Name}] {c.NodeName} is an etcd member already ({self.IdHex}{(self.IsLearner ? ", learner" : "")})");
        }
        else
        {
            if (self is null)
            {
                bool learner = c.Release.EtcdLearnerByDefault;
                var action = $"[{Name}] add member {c.NodeName} {c.EtcdPeerUrl}{(learner ? " as a learner" : "")}";
                if (!await sink.ShouldChangeAsync(target, action, ct).ConfigureAwait(false))
                {
                    c.Changes.Add(new WorkflowChange(Name, target, action, false));
                    return;
                }
                self = await etcd.AddMemberAsync(c.EtcdPeerUrl, learner, ct).ConfigureAwait(false);
                c.Changes.Add(new WorkflowChange(Name, target, action, true));
                sink.WriteVerbose($"{target}: [{Name}] added member {self.IdHex} for {c.NodeName} ({c.EtcdPeerUrl}){(learner ? " as a learner" : "")}");
                list = await etcd.ListMembersAsync(ct).ConfigureAwait(false);
            }
            // kubeadm's --initial-cluster: every member with a name, and this one under the node's name.
            c.EtcdMembers = list.Where(m => m.Id == self.Id || m.IsStarted)
                .Select(m => new ManifestMember(m.Id == self.Id ? c.NodeName : m.Name, m.PeerUrls[0])).ToList();
            if (!await WriteManifestAsync(c, ct).ConfigureAwait(false)) return;
        }

        await WaitAndPromoteAsync(c, etcd, self.Id, target, sink, ct).ConfigureAwait(false);
    }

    static async Task<bool> WriteManifestAsync(JoinContext c, CancellationToken ct)
    {
        var manifest = ControlPlanePhase<JoinContext>.InManifestsDir(StaticPodManifests.Etcd(c.ManifestRequest()));
        var written = await c.Node.WriteAsync("control-plane-join/etcd", [manifest], ct).ConfigureAwait(false);
        if (written.Count > 0 && !c.Changes.AnyDeclined)
            return await c.Node.RunAsync("control-plane-join/etcd", $"create the etcd data directory {c.Configuration.EtcdDataDir} (0700)",
                $"install -d -m 0700 {Bash.Quote(c.Configuration.EtcdDataDir)}\n", TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        return !c.Changes.AnyDeclined;
    }

    /// <summary>Waits for the member to start (it then has a name), promotes a learner (etcd refuses until it has caught up), and waits for its health.</summary>
    static async Task WaitAndPromoteAsync(JoinContext c, EtcdClient etcd, ulong id, string target, IOperationSink sink, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var timeout = c.Request.NodeReadyTimeout;
        EtcdMember? member = null;
        while (true)
        {
            member = (await etcd.ListMembersAsync(ct).ConfigureAwait(false)).FirstOrDefault(m => m.Id == id);
            if (member is { IsStarted: true }) break;
            if (watch.Elapsed > timeout)
                throw new KubeException("Join.EtcdMemberNotStarted",
                    $"{c.Node.HostName}: the etcd member {c.NodeName} ({c.EtcdPeerUrl}) was added but did not start within {timeout}.",
                    KubeErrorCategory.OperationTimeout, c.Node.HostName,
                    $"Look at the etcd container's log on {c.Node.HostName}; it must reach the other members on port 2380. Run the same join again once it is fixed.");
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }
        if (member!.IsLearner)
        {
            var action = $"[control-plane-join/etcd] promote learner {c.NodeName} ({member.IdHex}) to a voting member";
            if (!await sink.ShouldChangeAsync(target, action, ct).ConfigureAwait(false))
            {
                c.Changes.Add(new WorkflowChange("control-plane-join/etcd", target, action, false));
                return;
            }
            await etcd.PromoteMemberAsync(id, ct).ConfigureAwait(false);
            c.Changes.Add(new WorkflowChange("control-plane-join/etcd", target, action, true));
            sink.WriteVerbose($"{target}: promoted {c.NodeName} ({member.IdHex}) to a voting member");
        }
        var url = new Uri(c.EtcdClientUrl);
        while (!await Healthy(etcd, url, ct).ConfigureAwait(false))
        {
            if (watch.Elapsed > timeout)
                throw new KubeException("Join.EtcdMemberUnhealthy",
                    $"{c.Node.HostName}: the etcd member {c.NodeName} did not become healthy at {url} within {timeout}.",
                    KubeErrorCategory.OperationTimeout, c.Node.HostName, $"Look at the etcd container's log on {c.Node.HostName}.");
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }
        sink.WriteVerbose($"{c.Node.HostName}: [control-plane-join/etcd] the etcd member {c.NodeName} is healthy ({watch.Elapsed.TotalSeconds:F1}s)");
    }

    static async Task<bool> Healthy(EtcdClient etcd, Uri url, CancellationToken ct)
    {
        try { return await etcd.IsHealthyAsync(url, ct).ConfigureAwait(false); }
        catch (KubeException) { return false; }
    }

    /// <summary>The client URLs of the running etcd members: the etcd Pods' annotation, as kubeadm finds them.</summary>
    static async Task<IReadOnlyList<Uri>> EndpointsAsync(JoinContext c, ClusterApplier cluster, CancellationToken ct)
    {
        var urls = new List<Uri>();
        if (cluster.Store is LiveClusterStore live)
        {
            var pods = await live.Client.ListAsync(KubeResource.Pod, "kube-system", labelSelector: "component=etcd,tier=control-plane", ct: ct).ConfigureAwait(false);
            foreach (var pod in pods)
                foreach (var u in ((string?)pod["metadata"]?["annotations"]?[ClientUrlsAnnotation] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    if (Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && !u.Equals(c.EtcdClientUrl, StringComparison.OrdinalIgnoreCase))
                        urls.Add(uri);
        }
        if (urls.Count == 0)
            throw new KubeException("Join.EtcdEndpointsUnknown",
                $"{c.Node.HostName}: the cluster at {cluster.Target} shows no etcd static Pod with the {ClientUrlsAnnotation} annotation, so there is no etcd member to add this node to.",
                KubeErrorCategory.ObjectNotFound, cluster.Target,
                "Check that the control planes' etcd mirror Pods exist (kubectl -n kube-system get pods -l component=etcd); an external etcd is configured in the ClusterConfiguration instead.");
        return urls.Distinct().ToList();
    }

    static string HostPort(string host, int port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";
}
