using System.Diagnostics;
using KubePS.Core.Configuration;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// wait-control-plane: waits for the kubelet's healthz (kubeletHealthCheck timeout, default 4m), then for the API
/// server's /readyz and the health of etcd, the controller-manager and the scheduler (controlPlaneComponentHealthCheck,
/// default 4m). A timeout is Init.KubeletUnhealthy or Init.ControlPlaneTimeout naming each unhealthy component and
/// where its log is. When an earlier change was declined (-WhatIf), the control plane is only looked at once: if it is
/// not up, the API phases after this one describe their objects instead of applying them. A dry run has no node to
/// wait for.
/// </summary>
public sealed class WaitControlPlanePhase<TContext> : Phase<TContext> where TContext : ControlPlaneContext
{
    public override string Name => "wait-control-plane";
    public override string Summary => "Wait for the control plane to start";

    public override async Task RunAsync(TContext c, IOperationSink sink, CancellationToken ct)
    {
        bool patient = !c.Changes.AnyDeclined;
        var kubeletTimeout = patient ? KubeletTimeout(c.Configuration) : TimeSpan.Zero;
        var watch = Stopwatch.StartNew();

        var kubelet = await c.Node.QueryAsync(Name, ControlPlaneHealth.WaitScript([ControlPlaneHealth.Kubelet], kubeletTimeout),
            kubeletTimeout + TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        if (kubelet is null)
        {
            sink.WriteVerbose($"{c.Node.HostName}: [{Name}] a dry run starts nothing, so there is nothing to wait for");
            return;
        }
        if (!kubelet.Succeeded)
        {
            if (Unavailable(c, sink, patient, "the kubelet is not running")) return;
            throw new KubeException("Init.KubeletUnhealthy",
                $"{c.Node.HostName}: the kubelet did not become healthy within {GoDuration.Format(kubeletTimeout)} ({ControlPlaneHealth.Kubelet.Url}).",
                KubeErrorCategory.OperationTimeout, c.Node.HostName,
                $"Look at its log on {c.Node.HostName}: {ControlPlaneHealth.Kubelet.LogHint(null)}. A kubelet that does not start often has a cgroup driver or swap problem.");
        }
        sink.WriteVerbose($"{c.Node.HostName}: [{Name}] the kubelet is healthy");

        var timeout = patient ? c.Configuration.ControlPlaneHealthCheckTimeout : TimeSpan.Zero;
        var endpoints = ControlPlaneHealth.ControlPlane(c);
        var admin = c.FindKubeConfig(KubeConfigRole.Admin);
        var credentials = admin is null ? null : KubeConfigCredentials.From(admin, ControlPlaneContext.KubeConfigPath(KubeConfigRole.Admin), server: c.LocalUrl);
        var (ready, detail) = await ControlPlaneHealth.WaitApiServerAsync(c.LocalUrl, c.Pki.CA.CertificatePem, credentials, timeout, ct).ConfigureAwait(false);
        if (!ready)
        {
            if (Unavailable(c, sink, patient, $"the API server is not running ({detail})")) return;
            var diagnosis = await c.Node.QueryAsync(Name, ControlPlaneHealth.WaitScript(endpoints, TimeSpan.Zero), TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            var states = ControlPlaneHealth.Parse(diagnosis?.Output ?? "");
            if (states.GetValueOrDefault("kube-apiserver") is null or "healthy") states = new Dictionary<string, string>(states) { ["kube-apiserver"] = "unhealthy" };
            throw new KubeException("Init.ControlPlaneTimeout",
                $"{c.Node.HostName}: the API server {c.LocalUrl} did not become ready within {GoDuration.Format(timeout)} ({detail}). " +
                ControlPlaneHealth.Describe(endpoints, states) + ".",
                KubeErrorCategory.OperationTimeout, c.Node.HostName,
                "Fix the first component that is not healthy (its log says why; etcd and certificate problems show there), then run the same init again: it goes on where it stopped.");
        }
        sink.WriteVerbose($"{c.Node.HostName}: [{Name}] the API server {c.LocalUrl} is ready");

        var others = endpoints.Where(e => e.Name != "kube-apiserver").ToList();
        var left = patient ? Max(timeout - watch.Elapsed, TimeSpan.FromSeconds(10)) : TimeSpan.Zero;
        var result = await c.Node.QueryAsync(Name, ControlPlaneHealth.WaitScript(others, left), left + TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        if (result is not null && !result.Succeeded)
        {
            var states = ControlPlaneHealth.Parse(result.Output);
            if (!patient)
                sink.WriteVerbose($"{c.Node.HostName}: [{Name}] {ControlPlaneHealth.Describe(others, states)}");
            else
                throw new KubeException("Init.ControlPlaneTimeout",
                    $"{c.Node.HostName}: the control plane did not become healthy within {GoDuration.Format(timeout)}: {ControlPlaneHealth.Describe(others, states)}.",
                    KubeErrorCategory.OperationTimeout, c.Node.HostName,
                    "Fix the component named above (its log says why), then run the same init again.");
        }
        // kubeadm makes its API client here; for 1.29+ that binds admin.conf's group to cluster-admin.
        await c.ClusterAsync(Name, ct).ConfigureAwait(false);
    }

    static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    static bool Unavailable(TContext c, IOperationSink sink, bool patient, string why)
    {
        if (patient) return false;
        c.ClusterUnavailableReason = $"{why}: changes that would start it were not made";
        sink.WriteVerbose($"{c.Node.HostName}: [wait-control-plane] {c.ClusterUnavailableReason}; the API phases describe what they would do");
        return true;
    }

    static TimeSpan KubeletTimeout(KubeClusterConfiguration config) =>
        (config.Init?.Timeouts?.KubeletHealthCheck ?? config.Join?.Timeouts?.KubeletHealthCheck) is { } text
            ? GoDuration.Parse(text, "timeouts.kubeletHealthCheck")
            : KubeadmDefaults.KubeletHealthCheck;
}
