using System.Security.Cryptography;
using System.Text;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Lab;
using KubePS.Tests.LabControlPlane;

namespace KubePS.Tests.Day2;

/// <summary>
/// TEST-ONLY, shared by the upgrade lab fixtures: lab nodes whose kubelet is a "package" of a given version, installed by
/// KubePS's binary mechanism (scripts in /usr/local/bin that run the lab kubelet reporting the version it was "built
/// for", and the host's kubectl), and the lab's systemctl stand-in running whatever /usr/local/bin/kubelet is now.
/// </summary>
public static class VersionedLabNodes
{
    /// <summary>kubelet and kubectl of a version: scripts that run the lab kubelet (and the host's kubectl).</summary>
    public static Dictionary<string, byte[]> Binaries(string version) => new()
    {
        ["kubelet"] = Encoding.UTF8.GetBytes($"#!/bin/sh\n[ \"$1\" = --version ] && {{ echo 'Kubernetes {version}'; exit 0; }}\nexec {LabTools.LabExe} kubelet --lab-kubelet-version={version} \"$@\"\n"),
        ["kubectl"] = Encoding.UTF8.GetBytes($"#!/bin/sh\n# kubectl {version} stand-in\nexec /usr/bin/kubectl \"$@\"\n"),
    };

    /// <summary>Install-KubePackage -Version ... -BinaryPath ... -BinaryDirectory /usr/local/bin (the lab's /usr is the host's).</summary>
    public static KubePackageOptions Packages(string version) => new()
    {
        Version = KubeVersion.Parse(version), Binaries = Binaries(version), BinaryDirectory = "/usr/local/bin", Packages = ["kubelet", "kubectl"],
    };

    /// <summary>
    /// The systemctl stand-in first on the node's PATH, running /usr/local/bin/kubelet (so a new package version is what
    /// restarts). Test pace: crash back-off from 1 s, and startup/readiness probes at most 1 s apart and 1 s after a
    /// start (kubeadm's 1.19+ startup probes wait 10 s; an upgrade restarts twelve components).
    /// </summary>
    public static async Task SetUpAsync(NodeLab lab, LabNode n, CancellationToken ct) =>
        (await lab.ExecAsync(n, $"""
            set -e
            ln -sf {LabTools.SystemctlShim} /usr/local/sbin/systemctl
            mkdir -p /run/systemd/system /etc/lab-systemd
            printf 'LAB_KUBELET=/usr/local/bin/kubelet\nLAB_KUBELET_FLAGS="--lab-backoff-base=1s --lab-probe-cap=1s"\nLAB_RESTART_SEC=1\n' > /etc/lab-systemd/env
            """, ct)).EnsureSuccess("lab node setup");

    /// <summary>kubectl 1.32 with a node's admin.conf only.</summary>
    public static Tool.Result Kubectl(string adminConf, params string[] args) =>
        Tool.Run("kubectl", ["--kubeconfig", adminConf, .. args], env: new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent" });

    public static string KubectlOk(string adminConf, params string[] args)
    {
        var r = Kubectl(adminConf, args);
        if (r.ExitCode != 0) throw new Xunit.Sdk.XunitException($"kubectl {string.Join(' ', args)}: {r.Error}{r.Output}");
        return r.Output.Trim();
    }

    /// <summary>SHA-256 of a control-plane node's four static pod manifests, as read from its overlay.</summary>
    public static string ManifestHashes(LabNode n) => string.Join(",", new[] { "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler" }
        .Select(c => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(n.UpperPath($"/etc/kubernetes/manifests/{c}.yaml"))))));
}
