using System.Text;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// kubeconfig/&lt;file&gt;: one of kubeadm's kubeconfig files in /etc/kubernetes. An existing file is kept as kubeadm
/// keeps it (its CA must be the cluster CA, else Init fails with KubeConfig.CAMismatch; another server is only a
/// warning; its client certificate is not looked at). A missing one is made, signed by the cluster CA, which must
/// hold its key (in external CA mode the files must be provided). Made from a table of roles.
/// </summary>
public sealed class KubeConfigPhase<TContext>(KubeConfigRole role, string summary) : Phase<TContext> where TContext : ControlPlaneContext
{
    /// <summary>init's kubeconfig phases in kubeadm's order.</summary>
    public static IReadOnlyList<KubeConfigPhase<TContext>> Init { get; } =
    [
        new(KubeConfigRole.Admin, "Generate a kubeconfig file for the admin to use and for kubeadm itself"),
        new(KubeConfigRole.SuperAdmin, "Generate a kubeconfig file for the super-admin"),
        new(KubeConfigRole.Kubelet, "Generate a kubeconfig file for the kubelet to use only for cluster bootstrapping purposes"),
        new(KubeConfigRole.ControllerManager, "Generate a kubeconfig file for the controller manager to use"),
        new(KubeConfigRole.Scheduler, "Generate a kubeconfig file for the scheduler to use"),
    ];

    public KubeConfigRole Role { get; } = role;
    public override string Name => "kubeconfig/" + ControlPlaneContext.PhaseNameOf(Role);
    public override string Summary { get; } = summary;

    /// <summary>super-admin.conf exists from 1.29.</summary>
    public override bool ShouldRun(TContext c) => Role != KubeConfigRole.SuperAdmin || c.Release.HasSuperAdminConf;

    public override async Task RunAsync(TContext c, IOperationSink sink, CancellationToken ct)
    {
        c.RequireOnNode("ca", Name);
        var ca = c.Pki.CA;
        var path = ControlPlaneContext.KubeConfigPath(Role);
        bool local = Role is KubeConfigRole.ControllerManager or KubeConfigRole.Scheduler;
        var server = local ? c.LocalUrl : c.ControlPlaneUrl;
        if (c.Node.Current(path) is { } existing)
        {
            var config = KubeConfigYaml.Parse(Encoding.UTF8.GetString(existing), path);
            if (KubeConfigFactory.ValidateExisting(config, $"{c.Node.HostName}:{path}", ca, server) is { } warning)
                sink.WriteWarning($"{c.Node.HostName}: {warning}");
            sink.WriteVerbose($"{c.Node.HostName}: [{Name}] using the existing {path}");
            c.SetKubeConfig(Role, config);
            return;
        }
        if (!ca.HasPrivateKey)
            throw new KubeException("Init.KubeConfigMissing",
                $"{c.Node.HostName}: {path} is missing, and it cannot be made: the cluster CA's key is not on the node (external CA mode).",
                KubeErrorCategory.ObjectNotFound, path, $"Have the external CA sign the {ControlPlaneContext.PhaseNameOf(Role)} client certificate and put {path} on the node.");
        var p = c.PkiRequest;
        var file = KubeConfigFactory.Create(new KubeConfigRequest
        {
            Role = Role,
            ClusterName = p.ClusterName,
            NodeName = c.NodeName,
            AdvertiseAddress = p.AdvertiseAddress,
            BindPort = p.BindPort,
            ControlPlaneEndpoint = p.ControlPlaneEndpoint,
            KubernetesVersion = p.KubernetesVersion,
            KeyAlgorithm = p.KeyAlgorithm,
            Validity = p.CertificateValidity,
        }, ca);
        c.SetKubeConfig(Role, file.Config);
        await c.Node.WriteAsync(Name, [file.ToNodeFile(ControlPlaneContext.KubernetesDir)], ct).ConfigureAwait(false);
    }
}
