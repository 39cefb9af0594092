using System.Text;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Preparation;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// kubelet-finalize: once the kubelet keeps its rotated client certificate in
/// /var/lib/kubelet/pki/kubelet-client-current.pem (or under its cert-dir), kubelet.conf's user points at that file
/// instead of the embedded certificate and key, as kubeadm does, and the kubelet is restarted. Nothing changes when
/// kubelet.conf points there already; a dry run cannot look at the kubelet's files.
/// </summary>
public sealed class KubeletFinalizePhase<TContext> : Phase<TContext> where TContext : ControlPlaneContext
{
    public override string Name => "kubelet-finalize";
    public override string Summary => "Update kubelet.conf to use the kubelet's rotated client certificate";

    public override async Task RunAsync(TContext c, IOperationSink sink, CancellationToken ct)
    {
        var certDir = c.Configuration.Init?.NodeRegistration?.KubeletExtraArgs?.LastOrDefault(a => a.Name == "cert-dir")?.Value ?? "/var/lib/kubelet/pki";
        var pem = certDir.TrimEnd('/') + "/kubelet-client-current.pem";
        var found = await c.Node.QueryAsync(Name, $"if [ -f {Bash.Quote(pem)} ]; then echo present; else echo absent; fi\n", TimeSpan.FromSeconds(30), ct)
            .ConfigureAwait(false);
        if (found is null)
        {
            sink.WriteVerbose($"{c.Node.HostName}: [{Name}] a dry run cannot look for the kubelet's rotated certificate; kubelet.conf keeps its embedded one");
            return;
        }
        if (found.Output.Trim() != "present")
        {
            sink.WriteVerbose($"{c.Node.HostName}: [{Name}] {pem} does not exist (yet); kubelet.conf keeps its embedded client certificate");
            return;
        }
        var path = ControlPlaneContext.KubeConfigPath(KubeConfigRole.Kubelet);
        var current = c.KubeConfigFor(KubeConfigRole.Kubelet, Name);
        var config = KubeConfigYaml.Parse(KubeConfigYaml.Serialize(current), path);
        var user = config.Users.FirstOrDefault(u => u.Name == $"system:node:{c.NodeName}")?.User ?? config.CurrentUser
            ?? throw new KubeException("Init.KubeConfigInvalid", $"{c.Node.HostName}: {path} has no user for system:node:{c.NodeName}.",
                KubeErrorCategory.InvalidData, path, "Remove the file and run the kubeconfig/kubelet phase again.");
        user.ClientCertificateData = null;
        user.ClientKeyData = null;
        user.ClientCertificate = pem;
        user.ClientKey = pem;
        var file = new NodeFile(path, Encoding.UTF8.GetBytes(KubeConfigYaml.Serialize(config)), (int)Pki.Modes.Secret);
        var written = await c.Node.WriteAsync(Name, [file], ct).ConfigureAwait(false);
        c.SetKubeConfig(KubeConfigRole.Kubelet, config);
        if (written.Count > 0)
            await c.Node.RunAsync(Name, "restart the kubelet (kubelet.conf now points at its rotated client certificate)", "systemctl restart kubelet\n",
                TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
    }
}
