using KubePS.Core.Manifests;
using KubePS.Core.Operations;
using KubePS.Core.Preparation;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// etcd/local: the static Pod manifest of a one-member local etcd, and its data directory made 0700 as kubeadm makes
/// it (only when the manifest is new or changed, so a re-run runs nothing). Not for an external etcd.
/// </summary>
public sealed class EtcdLocalPhase<TContext> : Phase<TContext> where TContext : ControlPlaneContext
{
    public override string Name => "etcd/local";
    public override string Summary => "Generate the static Pod manifest file for a local, single-node local etcd instance";
    public override bool ShouldRun(TContext c) => !c.Configuration.IsExternalEtcd;

    public override async Task RunAsync(TContext c, IOperationSink sink, CancellationToken ct)
    {
        var manifest = ControlPlanePhase<TContext>.InManifestsDir(StaticPodManifests.Etcd(c.ManifestRequest()));
        var written = await c.Node.WriteAsync(Name, [manifest], ct).ConfigureAwait(false);
        if (written.Count > 0)
            await c.Node.RunAsync(Name, $"create the etcd data directory {c.Configuration.EtcdDataDir} (0700)",
                $"install -d -m 0700 {Bash.Quote(c.Configuration.EtcdDataDir)}\n", TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
    }
}
