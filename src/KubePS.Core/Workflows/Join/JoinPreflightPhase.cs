using System.Text;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Manifests;
using KubePS.Core.Operations;
using static KubePS.Core.Workflows.ControlPlanePreflight;

namespace KubePS.Core.Workflows.Join;

/// <summary>
/// preflight: kubeadm's join checks (worker or control plane), evaluated from the facts gathered up front. What a
/// previous join of this same node to this same cluster explains is not held against it: on a member (kubelet.conf
/// with this cluster's CA) kubeadm's files, ports and etcd data are its own; on a node that stopped half-way, a file
/// that holds exactly what this join renders (and the port of a component whose manifest it is) is its own. Anything
/// else that fails stops the join here, before a file is written.
/// </summary>
sealed class JoinPreflightPhase : Phase<JoinContext>
{
    public override string Name => "preflight";
    public override string Summary => "Run join pre-flight checks";

    public override Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct)
    {
        ControlPlanePreflight.Run(c, sink, () => check => IsOwn(c, check), "held by this node's own join to this cluster");
        return Task.CompletedTask;
    }

    static bool IsOwn(JoinContext c, string check)
    {
        if (c.WasMember && (check.StartsWith("FileAvailable-", StringComparison.Ordinal) || check.StartsWith("DirAvailable-", StringComparison.Ordinal)
                            || check.StartsWith("Port-", StringComparison.Ordinal)))
            return true;
        return PartialJoinChecks(c).Contains(check);
    }

    /// <summary>The checks a join of this node to this cluster that stopped half-way explains.</summary>
    static HashSet<string> PartialJoinChecks(JoinContext c)
    {
        var own = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var caPath = c.CertPath("ca.crt");
        bool ourCA = c.Node.Current(caPath) is { } ca && Encoding.ASCII.GetString(ca).Trim() == c.Cluster.CACertificatePem.Trim();
        if (ourCA) own.Add(FileCheck(caPath));
        var bootstrap = Encoding.UTF8.GetBytes(KubeConfigYaml.Serialize(c.Cluster.BootstrapKubeConfig()));
        if (c.Node.Current(JoinContext.BootstrapKubeletConfPath) is { } held && held.AsSpan().SequenceEqual(bootstrap)) own.Add(FileCheck(JoinContext.BootstrapKubeletConfPath));
        var kubeletConfig = KubeletFiles.ConfigFromCluster(c.Cluster.KubeletConfigDocument, c.KubeletRequest());
        if (Holds(c, kubeletConfig)) own.Add("Port-10250");
        if (!c.IsControlPlane) return own;

        AddOwnComponents(c, c.ManifestRequest(), own);
        // The etcd manifest of a join names the members of the moment, so it cannot be compared: an etcd manifest on a node
        // that holds this cluster's CA is this join's.
        var etcd = StaticPodManifests.PathOf("etcd");
        if (ourCA && !c.Configuration.IsExternalEtcd && c.Node.Exists(etcd))
            own.UnionWith(["Port-2379", "Port-2380", FileCheck(etcd), DirCheck(c.Configuration.EtcdDataDir)]);
        return own;
    }
}
