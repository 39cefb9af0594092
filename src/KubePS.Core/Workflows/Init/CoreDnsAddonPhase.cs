using KubePS.Core.ClusterObjects;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// addon/coredns: CoreDNS as kubeadm deploys it for the version (ConfigMap with the Corefile for the cluster domain,
/// ClusterRole and binding, ServiceAccount, Deployment of 2, Service kube-dns on the tenth address of the service
/// subnet). Skipped when dns.disabled (v1beta4).
/// </summary>
public sealed class CoreDnsAddonPhase<TContext> : Phase<TContext> where TContext : ControlPlaneContext
{
    public override string Name => "addon/coredns";
    public override string Summary => "Install the CoreDNS addon to a Kubernetes cluster";
    public override bool ShouldRun(TContext c) => c.Configuration.Cluster.Dns?.Disabled != true;

    public override async Task RunAsync(TContext c, IOperationSink sink, CancellationToken ct)
    {
        var cluster = await c.ClusterAsync(Name, ct).ConfigureAwait(false);
        await cluster.ApplyAsync(Name, CoreDnsObjects.Render(c.ClusterObjectsRequest()), ct).ConfigureAwait(false);
    }
}
