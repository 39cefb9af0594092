using KubePS.Core.Manifests;
using KubePS.Core.Operations;
using static KubePS.Core.Workflows.ControlPlanePreflight;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// preflight: kubeadm's init checks, evaluated from the facts gathered up front. What makes a re-run of the same init
/// fail in kubeadm (its own API server on 6443, its own manifests and etcd data) is recognised: a check is this
/// control plane's own when the node already holds exactly the manifest (or kubelet configuration) this init renders
/// for the component behind it. Anything else that fails stops init here, before a file is written.
/// </summary>
sealed class PreflightPhase : Phase<InitContext>
{
    public override string Name => "preflight";
    public override string Summary => "Run kubeadm's preflight checks on the node";

    public override Task RunAsync(InitContext c, IOperationSink sink, CancellationToken ct)
    {
        ControlPlanePreflight.Run(c, sink, () => OwnChecks(c).Contains, "held by this control plane (a re-run of the same init)");
        return Task.CompletedTask;
    }

    /// <summary>The checks a previous run of this same init explains: each component's port, manifest and data.</summary>
    static HashSet<string> OwnChecks(InitContext c)
    {
        var own = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var request = c.ManifestRequest();
        AddOwnComponents(c, request, own);
        if (!c.Configuration.IsExternalEtcd)
        {
            var etcd = StaticPodManifests.Etcd(request);
            if (Holds(c, etcd))
                own.UnionWith(["Port-2379", "Port-2380", FileCheck(etcd.Path), DirCheck(c.Configuration.EtcdDataDir)]);
        }
        var kubelet = KubeletFiles.Config(c.KubeletRequest()).File;
        if (Holds(c, kubelet)) own.Add("Port-10250");
        return own;
    }
}
