using KubePS.Core.ClusterObjects;
using KubePS.Core.Manifests;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// addon/kube-proxy: kube-proxy as kubeadm deploys it (ServiceAccount, ConfigMap with the KubeProxyConfiguration, the
/// user's fields such as mode: ipvs merged over kubeadm's defaults, DaemonSet, RBAC). The ConfigMap carries kubeadm's
/// component-config hash only when the user gave no KubeProxyConfiguration. Skipped when proxy.disabled (v1beta4).
/// </summary>
public sealed class KubeProxyAddonPhase<TContext> : Phase<TContext> where TContext : ControlPlaneContext
{
    public override string Name => "addon/kube-proxy";
    public override string Summary => "Install the kube-proxy addon to a Kubernetes cluster";
    public override bool ShouldRun(TContext c) => c.Configuration.Cluster.Proxy?.Disabled != true;

    public override async Task RunAsync(TContext c, IOperationSink sink, CancellationToken ct)
    {
        var cluster = await c.ClusterAsync(Name, ct).ConfigureAwait(false);
        var settings = ConfigurationAdapters.ToKubeProxySettings(c.Configuration);
        var objects = KubeProxyObjects.Render(c.ClusterObjectsRequest(), settings,
            settings is null ? data => ComponentConfigHash.Compute(data) : null);
        await cluster.ApplyAsync(Name, objects, ct).ConfigureAwait(false);
    }
}
