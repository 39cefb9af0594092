using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// upload-config/kubeadm: the ClusterConfiguration (kubeadm's defaults written in, in the version's kubeadm API) in
/// ConfigMap kube-system/kubeadm-config, with the Role and RoleBinding that let joining nodes read it. For 1.18–1.21
/// the ConfigMap also lists every control plane's API endpoint (ClusterStatus): the ones already there are kept.
/// </summary>
public sealed class UploadConfigKubeadmPhase : Phase<InitContext>
{
    public override string Name => "upload-config/kubeadm";
    public override string Summary => "Upload the kubeadm ClusterConfiguration to a ConfigMap";

    public override async Task RunAsync(InitContext c, IOperationSink sink, CancellationToken ct)
    {
        var cluster = await c.ClusterAsync(Name, ct).ConfigureAwait(false);
        IReadOnlyList<ControlPlaneApiEndpoint>? endpoints = null;
        if (c.Release.Has("kubeadm-config.cluster-status"))
        {
            var current = await cluster.GetAsync(KubeResource.ConfigMap, "kube-system", UploadConfigObjects.KubeadmConfigMapName, ct).ConfigureAwait(false);
            endpoints = UploadConfigObjects.ApiEndpointsWith((string?)current?["data"]?[UploadConfigObjects.ClusterStatusKey],
                new ControlPlaneApiEndpoint(c.NodeName, c.AdvertiseAddress.ToString(), c.Configuration.BindPort), c.Configuration.BindPort);
        }
        var objects = UploadConfigObjects.Kubeadm(c.KubernetesVersion, ConfigurationAdapters.ClusterConfigurationYaml(c.Configuration), endpoints);
        await cluster.ApplyAsync(Name, objects, ct).ConfigureAwait(false);
    }
}
