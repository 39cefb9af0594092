using KubePS.Core.Nodes;

namespace KubePS.Core.Manifests;

/// <summary>
/// The kubelet systemd unit and kubeadm's drop-in for nodes where the kubelet is installed from release binaries rather
/// than packages (Install-KubePackage's binary path). The packages ship the same two files (facts §4.3): the unit
/// starts the kubelet with no flags and restarts it forever; the drop-in clears ExecStart and starts the kubelet with
/// the bootstrap/kubeconfig flags, the config file, kubeadm's flags file and the administrator's extra-args file.
/// </summary>
public static class KubeletSystemdUnits
{
    /// <summary>Where hand-installed units live (package installs use /usr/lib/systemd/system).</summary>
    public const string DefaultUnitDir = "/etc/systemd/system";

    /// <summary>The kubelet binary of a release-binary install (the kubeadm install guide's download directory).</summary>
    public const string DefaultKubeletPath = "/usr/local/bin/kubelet";

    /// <summary>The extra-args file Debian-family packages read; RPM-family packages read /etc/sysconfig/kubelet.</summary>
    public const string DebianExtraArgsFile = "/etc/default/kubelet";
    public const string RpmExtraArgsFile = "/etc/sysconfig/kubelet";

    /// <summary>kubelet.service and kubelet.service.d/10-kubeadm.conf under <paramref name="unitDir"/>, both 0644.</summary>
    public static IReadOnlyList<NodeFile> Render(string kubeletPath = DefaultKubeletPath, string unitDir = DefaultUnitDir,
        string extraArgsFile = DebianExtraArgsFile)
    {
        ManifestValidation.AbsolutePath(kubeletPath, "kubelet path");
        ManifestValidation.AbsolutePath(unitDir, "systemd unit directory");
        ManifestValidation.AbsolutePath(extraArgsFile, "kubelet extra-args file");
        foreach (var p in new[] { kubeletPath, unitDir, extraArgsFile })
            if (p.Any(c => char.IsWhiteSpace(c) || c == '"' || c == '$' || c == '%'))
                throw new KubeException("Manifests.InvalidPath", $"'{p}' contains characters systemd would interpret (space, quote, $ or %).",
                    KubeErrorCategory.InvalidArgument, p, "Use a plain absolute path.");
        string dir = unitDir.TrimEnd('/');

        string unit =
            "[Unit]\n" +
            "Description=kubelet: The Kubernetes Node Agent\n" +
            "Documentation=https://kubernetes.io/docs/\n" +
            "Wants=network-online.target\n" +
            "After=network-online.target\n" +
            "\n" +
            "[Service]\n" +
            $"ExecStart={kubeletPath}\n" +
            "Restart=always\n" +
            "StartLimitInterval=0\n" +
            "RestartSec=10\n" +
            "\n" +
            "[Install]\n" +
            "WantedBy=multi-user.target\n";

        string dropIn =
            "# Written by KubePS: the kubeadm drop-in for the kubelet (the kubeadm package ships the same settings).\n" +
            "[Service]\n" +
            "Environment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"\n" +
            "Environment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\n" +
            "# kubeadm init/join write KUBELET_KUBEADM_ARGS here.\n" +
            "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\n" +
            "# KUBELET_EXTRA_ARGS for the administrator; nodeRegistration.kubeletExtraArgs is the preferred place.\n" +
            $"EnvironmentFile=-{extraArgsFile}\n" +
            "ExecStart=\n" +
            $"ExecStart={kubeletPath} $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n";

        return
        [
            NodeFile.Text($"{dir}/kubelet.service", unit),
            NodeFile.Text($"{dir}/kubelet.service.d/10-kubeadm.conf", dropIn),
        ];
    }
}
