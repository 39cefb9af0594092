using KubePS.Tests.LabControlPlane;

namespace KubePS.Tests.Lab;

public static class LabSystemctl
{
    /// <summary>
    /// Puts the lab control plane's systemctl stand-in first on a node's PATH, as systemd (the node probe asks systemctl
    /// only where /run/systemd/system exists), with the lab kubelet reporting <paramref name="kubeletVersion"/>.
    /// </summary>
    public static async Task UseSystemctlStandInAsync(this NodeLab lab, LabNode node, string kubeletVersion, CancellationToken ct = default)
    {
        var setup = $"""
            set -e
            ln -sf {LabTools.SystemctlShim} /usr/local/sbin/systemctl
            mkdir -p /run/systemd/system    # the node probe asks systemctl (the stand-in) only where systemd runs
            mkdir -p /etc/lab-systemd
            printf 'LAB_KUBELET_FLAGS="--lab-kubelet-version={kubeletVersion} --lab-backoff-base=1s"\nLAB_RESTART_SEC=1\n' > /etc/lab-systemd/env
            """;
        (await lab.ExecAsync(node, setup, ct)).EnsureSuccess("lab node setup");
    }
}
