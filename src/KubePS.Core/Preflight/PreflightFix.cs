using KubePS.Core.Nodes;
using KubePS.Core.Preparation;

namespace KubePS.Core.Preflight;

/// <summary>
/// The -Fix plan of a preflight run: for each failed check that has a safe automated remedy (<see cref="KubePreflightResult.FixStep"/>),
/// the matching step of the node-prerequisites renderer (swap, modules + sysctls, firewall, tools, hosts entry) or the
/// kubelet service step. Checks without a safe remedy (ports in use, old manifests, kernel, kubelet version) are left to the user.
/// </summary>
public static class PreflightFix
{
    /// <summary>
    /// Service-Kubelet fails also when there is no systemd or no kubelet unit; enabling the unit fixes only the case of an
    /// installed, disabled kubelet service (the others need systemd or the kubelet package first).
    /// </summary>
    static bool Automatable(KubePreflightResult result, NodeFacts facts) =>
        result.FixStep != PreparationSteps.PackagesKubeletService || (facts.InitSystem == InitSystemKind.Systemd && facts.Kubelet.Exists);

    /// <summary>
    /// The plan that fixes what can be fixed, or null when nothing failed that has an automated fix.
    /// <paramref name="options"/> supply the choices the fix needs (firewall mode, role, bind port); its Steps are replaced.
    /// </summary>
    public static NodePlan? Plan(KubePreflightReport report, NodeFacts facts, NodePrerequisiteOptions? options = null)
    {
        var failed = report.Results.Where(r => !r.Passed && r.FixStep is not null && Automatable(r, facts)).ToList();
        if (failed.Count == 0) return null;
        var wanted = failed.Select(r => r.FixStep!).ToHashSet(StringComparer.Ordinal);
        // The bridge sysctls exist only once br_netfilter is loaded.
        if (wanted.Contains(PreparationSteps.Sysctl)) wanted.Add(PreparationSteps.KernelModules);
        bool ipv6 = failed.Any(r => r.Check == "FileContent--proc-sys-net-ipv6-conf-default-forwarding");
        options = (options ?? new NodePrerequisiteOptions()) with
        {
            Steps = PreparationSteps.Prerequisites.Where(wanted.Contains).ToList(),
            IPv6Forwarding = (options?.IPv6Forwarding ?? false) || ipv6,
            InstallPackages = true,
            HostsEntry = true,
            TimeSync = false,
        };
        var steps = options.Steps!.Count > 0 ? NodePrerequisites.Render(facts, options).Steps.ToList() : [];
        if (wanted.Contains(PreparationSteps.PackagesKubeletService)) steps.Add(KubePackages.KubeletService());
        if (steps.Count == 0) return null;
        return new NodePlan(facts.HostName, "preflight-fix", steps, TimeSpan.FromMinutes(15), NodePrerequisites.PackageManagerPrologue(facts.PackageManager));
    }
}
