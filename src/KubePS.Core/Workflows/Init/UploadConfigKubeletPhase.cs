using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Manifests;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// upload-config/kubelet: the cluster's KubeletConfiguration in the kubelet-config ConfigMap (kubelet-config-1.NN up
/// to 1.23), signed with kubeadm's component-config hash when the user gave no KubeletConfiguration, with its Role and
/// RoleBinding; and, up to 1.33, the Node's kubeadm.alpha.kubernetes.io/cri-socket annotation (once the kubelet has
/// registered the Node).
/// </summary>
public sealed class UploadConfigKubeletPhase : Phase<InitContext>
{
    /// <summary>How long to wait for the kubelet to register its Node.</summary>
    public static readonly TimeSpan NodeRegistrationTimeout = TimeSpan.FromMinutes(2);

    public override string Name => "upload-config/kubelet";
    public override string Summary => "Upload the kubelet component config to a ConfigMap";

    public override async Task RunAsync(InitContext c, IOperationSink sink, CancellationToken ct)
    {
        var cluster = await c.ClusterAsync(Name, ct).ConfigureAwait(false);
        var document = KubeletFiles.Config(c.KubeletRequest()).ClusterDocument;
        string? hash = c.Configuration.Kubelet is null
            ? ComponentConfigHash.Compute(new Dictionary<string, string> { [UploadConfigObjects.KubeletConfigMapKey] = document })
            : null;
        await cluster.ApplyAsync(Name, UploadConfigObjects.Kubelet(c.KubernetesVersion, document, hash), ct).ConfigureAwait(false);

        if (NodeObjects.CriSocketAnnotationPatch(c.KubernetesVersion, c.CriSocket) is not { } patch) return;
        var node = await cluster.WaitForAsync(KubeResource.Node, null, c.NodeName, NodeRegistrationTimeout, ct).ConfigureAwait(false);
        await NodePatch.ApplyAsync(c, cluster, Name, node, _ => patch, $"annotation {NodeObjects.CriSocketAnnotation}={c.CriSocket}", ct).ConfigureAwait(false);
    }
}
