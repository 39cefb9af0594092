using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Reset;

/// <summary>
/// update-cluster-status (kubeadm reset 1.18–1.21, whose kubeadm-config carries a ClusterStatus): this control plane's
/// API endpoint is removed from ClusterStatus.apiEndpoints, so that later joins and upgrades do not look for an API
/// server that is gone. Needs the cluster (<see cref="ResetRequest.Api"/>); a cluster without ClusterStatus (1.22 and
/// later) or without this node in it is left as it is.
/// </summary>
sealed class UpdateClusterStatusPhase : Phase<ResetContext>
{
    public override string Name => "update-cluster-status";
    public override string Summary => "Remove this control plane's API endpoint from kubeadm-config's ClusterStatus";
    public override bool ShouldRun(ResetContext c) => c.ControlPlane && c.Request.Api is not null && c.NodeName is not null;

    public override async Task RunAsync(ResetContext c, IOperationSink sink, CancellationToken ct)
    {
        var api = c.Request.Api!;
        var configMap = await api.GetAsync(KubeResource.ConfigMap, "kube-system", UploadConfigObjects.KubeadmConfigMapName, ct).ConfigureAwait(false);
        if ((string?)configMap?["data"]?[UploadConfigObjects.ClusterStatusKey] is not { } status)
        {
            sink.WriteVerbose($"{c.HostName}: kubeadm-config has no ClusterStatus (Kubernetes 1.22 and later keep none)");
            return;
        }
        if (UploadConfigObjects.ClusterStatusWithout(status, c.NodeName!) is not { } updated)
        {
            sink.WriteVerbose($"{c.HostName}: kubeadm-config's ClusterStatus does not list {c.NodeName}");
            return;
        }
        var patch = new JsonObject { ["data"] = new JsonObject { [UploadConfigObjects.ClusterStatusKey] = updated } };
        await api.MergePatchAsync(KubeResource.ConfigMap, "kube-system", UploadConfigObjects.KubeadmConfigMapName, patch, ct).ConfigureAwait(false);
        c.Removed.Add($"API endpoint of {c.NodeName} in kubeadm-config's ClusterStatus");
        sink.WriteVerbose($"{c.HostName}: removed {c.NodeName} from kubeadm-config's ClusterStatus");
    }
}
