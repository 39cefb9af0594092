using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Join;

/// <summary>
/// control-plane-join/update-status (kubeadm 1.18–1.21, the releases whose kubeadm-config carries a ClusterStatus):
/// this control plane's API endpoint (node name, advertise address, bind port) is added to ClusterStatus.apiEndpoints
/// of kube-system/kubeadm-config, the other control planes' entries and the ClusterConfiguration kept as they are. Runs
/// after control-plane-join/etcd, as kubeadm orders it; an entry that is there already changes nothing.
/// </summary>
sealed class UpdateStatusPhase : Phase<JoinContext>
{
    public override string Name => "control-plane-join/update-status";
    public override string Summary => "Add this control plane's API endpoint to kubeadm-config's ClusterStatus";
    public override bool ShouldRun(JoinContext c) => c.IsControlPlane && c.Release.Has("kubeadm-config.cluster-status");

    public override async Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct)
    {
        var cluster = await c.ClusterAsync(Name, ct).ConfigureAwait(false);
        var current = await cluster.GetAsync(KubeResource.ConfigMap, "kube-system", UploadConfigObjects.KubeadmConfigMapName, ct).ConfigureAwait(false);
        var clusterConfiguration = (string?)current?["data"]?[UploadConfigObjects.ClusterConfigurationKey]
            ?? throw new KubeException("Join.NoClusterConfiguration",
                $"{cluster.Target} has no ClusterConfiguration in kube-system/{UploadConfigObjects.KubeadmConfigMapName} to register {c.NodeName}'s API endpoint beside.",
                KubeErrorCategory.ObjectNotFound, UploadConfigObjects.KubeadmConfigMapName,
                "Run Initialize-KubeControlPlane's upload-config/kubeadm phase on the first control plane, then join again.");
        var self = new ControlPlaneApiEndpoint(c.NodeName, c.AdvertiseAddress.ToString(), c.Configuration.BindPort);
        var endpoints = UploadConfigObjects.ApiEndpointsWith((string?)current?["data"]?[UploadConfigObjects.ClusterStatusKey], self, c.Configuration.BindPort);
        // Only the ConfigMap: its Role and RoleBinding are init's.
        var configMap = UploadConfigObjects.Kubeadm(c.KubernetesVersion, clusterConfiguration, endpoints)[0];
        await cluster.ApplyAsync(Name, configMap, ct).ConfigureAwait(false);
    }
}
