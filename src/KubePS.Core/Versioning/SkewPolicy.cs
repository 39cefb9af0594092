namespace KubePS.Core.Versioning;

/// <summary>
/// kubeadm's version policy as code (kubeadm-facts.md §8.1, kubeadm-versions.md §2). KubePS acts as the kubeadm of the
/// target version, so "kubeadm's version" below is the version a workflow deploys unless a caller passes another.
/// <list type="bullet">
/// <item>An upgrade moves the control plane one minor at a time (<c>Version.SkipsMinor</c>) and never to an older minor
/// (<c>Version.Downgrade</c>; kubeadm itself tolerates one minor down, KubePS does not because local etcd is never
/// downgraded); a patch change within the minor, up or down, is allowed.</item>
/// <item>The target must be a minor of the version catalog (<c>Version.Unsupported</c>).</item>
/// <item>A kubelet may be at most <see cref="ReleaseInfo.KubeletSkew"/> minors older than the API server
/// (<c>Version.KubeletTooOld</c>) and never newer (<c>Version.KubeletNewerThanApiServer</c>).</item>
/// <item>kubeadm X deploys a control plane of X or X-1 only (<c>Version.ControlPlaneTooOld</c>,
/// <c>Version.ControlPlaneNewerThanKubeadm</c>); kube-controller-manager and kube-scheduler may be one minor older than the
/// API server and never newer (<c>Version.ControlPlaneSkew</c>).</item>
/// </list>
/// Every Check method returns all violations (empty when allowed); every Ensure method throws them (one
/// <see cref="KubeException"/>, or a <see cref="KubeAggregateException"/> for several).
/// </summary>
public static class SkewPolicy
{
    /// <summary>How many minors one upgrade may move the control plane (kubeadm's MaximumAllowedMinorVersionUpgradeSkew).</summary>
    public const int MaxMinorStep = 1;

    /// <summary>How many minors kubeadm X may deploy below itself (MinimumControlPlaneVersion = X-1).</summary>
    public const int ControlPlaneBelowKubeadm = 1;

    /// <summary>How many minors kube-controller-manager and kube-scheduler may lag the API server (upstream skew policy).</summary>
    public const int ControllerBelowApiServer = 1;

    /// <summary>
    /// The versions an upgrade from <paramref name="current"/> may go to: the newest patch of the current minor and the
    /// newest patch of the next minor, where the catalog has them.
    /// </summary>
    public static IReadOnlyList<KubeVersion> UpgradeTargets(KubeVersion current)
    {
        var targets = new List<KubeVersion>();
        foreach (var minor in new[] { current.MinorVersion, KubeVersion.Create(current.Major, current.Minor + 1) })
            if (VersionCatalog.TryGet(minor, out _)) targets.Add(VersionCatalog.Resolve(minor));
        return targets;
    }

    /// <summary>
    /// Checks an upgrade of the control plane from <paramref name="current"/> to <paramref name="target"/> (a minor
    /// resolves to its newest patch), with the kubelets' versions if known: after the upgrade every kubelet must be within
    /// the target's skew and not newer than the target.
    /// </summary>
    public static IReadOnlyList<KubeException> CheckUpgrade(KubeVersion current, KubeVersion target, IEnumerable<KubeVersion>? kubeletVersions = null)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(target);
        var errors = new List<KubeException>();
        string valid = DescribeTargets(current);

        if (!VersionCatalog.TryGet(target, out var row))
        {
            errors.Add(new KubeException("Version.Unsupported",
                $"Cannot upgrade from {current} to {target}: Kubernetes {target.MinorVersion} is not in the version catalog ({VersionCatalog.Oldest} to {VersionCatalog.Newest}). {valid}",
                KubeErrorCategory.InvalidArgument, target.ToString(), $"Choose a target from {VersionCatalog.Oldest} to {VersionCatalog.Newest}."));
        }

        int from = Index(current), to = Index(target);
        if (to > from + MaxMinorStep)
        {
            var skipped = Enumerable.Range(from + 1, to - from - 1).Select(i => $"v{i / 1000}.{i % 1000}");
            errors.Add(new KubeException("Version.SkipsMinor",
                $"Cannot upgrade from {current} to {target}: that skips {string.Join(", ", skipped)}. kubeadm upgrades one minor at a time. {valid}",
                KubeErrorCategory.InvalidArgument, target.ToString(),
                $"Upgrade to v{current.Major}.{current.Minor + 1} first, then to {target.MinorVersion}."));
        }
        else if (to < from)
        {
            errors.Add(new KubeException("Version.Downgrade",
                $"Cannot change the control plane from {current} to {target}: that downgrades the minor version, which KubePS does not do (etcd data is never downgraded). {valid}",
                KubeErrorCategory.InvalidArgument, target.ToString(),
                $"Stay on {current.MinorVersion}; to change patch releases choose a {current.MinorVersion}.x version."));
        }

        if (row is not null && kubeletVersions is not null)
        {
            var resolved = target.IsExact ? target : VersionCatalog.Resolve(target);
            foreach (var kubelet in kubeletVersions.Distinct())
                errors.AddRange(CheckKubelet(resolved, kubelet, row));
        }
        return errors;
    }

    /// <summary>Throws unless the upgrade is allowed; returns the exact target version (a minor resolved to its newest patch).</summary>
    public static KubeVersion EnsureUpgrade(KubeVersion current, KubeVersion target, IEnumerable<KubeVersion>? kubeletVersions = null)
    {
        Throw(CheckUpgrade(current, target, kubeletVersions));
        return VersionCatalog.Resolve(target);
    }

    /// <summary>Checks a kubelet against the API server it talks to (the API server's catalog row gives the allowed skew).</summary>
    public static IReadOnlyList<KubeException> CheckKubelet(KubeVersion apiServer, KubeVersion kubelet)
    {
        ArgumentNullException.ThrowIfNull(apiServer);
        ArgumentNullException.ThrowIfNull(kubelet);
        if (!VersionCatalog.TryGet(apiServer, out var row))
            return [Unsupported(apiServer)];
        return CheckKubelet(apiServer, kubelet, row);
    }

    /// <summary>Throws unless the kubelet may talk to the API server.</summary>
    public static void EnsureKubelet(KubeVersion apiServer, KubeVersion kubelet) => Throw(CheckKubelet(apiServer, kubelet));

    static List<KubeException> CheckKubelet(KubeVersion apiServer, KubeVersion kubelet, ReleaseInfo row)
    {
        var errors = new List<KubeException>();
        int api = Index(apiServer), k = Index(kubelet);
        var oldest = KubeVersion.Create(apiServer.Major, Math.Max(0, apiServer.Minor - row.KubeletSkew));
        string range = $"API server {apiServer.MinorVersion} accepts kubelets from {oldest} to {apiServer.MinorVersion} (n-{row.KubeletSkew})";
        if (k > api || (k == api && kubelet.IsExact && apiServer.IsExact && kubelet.Patch > apiServer.Patch))
            errors.Add(new KubeException("Version.KubeletNewerThanApiServer",
                $"Kubelet {kubelet} is newer than API server {apiServer}; a kubelet must never be newer than the API server. {range}.",
                KubeErrorCategory.InvalidArgument, kubelet.ToString(),
                $"Upgrade the control plane to at least {kubelet} before this kubelet, or install a kubelet from {oldest} to {apiServer}."));
        else if (api - k > row.KubeletSkew)
            errors.Add(new KubeException("Version.KubeletTooOld",
                $"Kubelet {kubelet} is {api - k} minors older than API server {apiServer}. {range}.",
                KubeErrorCategory.InvalidArgument, kubelet.ToString(),
                $"Upgrade the kubelet to at least {oldest} first."));
        return errors;
    }

    /// <summary>
    /// Checks that kubeadm (or KubePS acting as) <paramref name="kubeadm"/> may deploy a control plane of
    /// <paramref name="controlPlane"/>: the same minor or one below.
    /// </summary>
    public static IReadOnlyList<KubeException> CheckControlPlane(KubeVersion kubeadm, KubeVersion controlPlane)
    {
        ArgumentNullException.ThrowIfNull(kubeadm);
        ArgumentNullException.ThrowIfNull(controlPlane);
        var errors = new List<KubeException>();
        int ka = Index(kubeadm), cp = Index(controlPlane);
        var lowest = KubeVersion.Create(kubeadm.Major, Math.Max(0, kubeadm.Minor - ControlPlaneBelowKubeadm));
        string range = $"kubeadm {kubeadm.MinorVersion} deploys control planes {lowest} and {kubeadm.MinorVersion}";
        if (cp > ka)
            errors.Add(new KubeException("Version.ControlPlaneNewerThanKubeadm",
                $"Control plane {controlPlane} is newer than kubeadm {kubeadm}; {range}.",
                KubeErrorCategory.InvalidArgument, controlPlane.ToString(), $"Use kubeadm {controlPlane.MinorVersion} for a {controlPlane.MinorVersion} control plane."));
        else if (ka - cp > ControlPlaneBelowKubeadm)
            errors.Add(new KubeException("Version.ControlPlaneTooOld",
                $"Control plane {controlPlane} is too old for kubeadm {kubeadm}; {range}.",
                KubeErrorCategory.InvalidArgument, controlPlane.ToString(), $"Deploy {lowest} or newer, or use kubeadm {controlPlane.MinorVersion}."));
        return errors;
    }

    /// <summary>Throws unless kubeadm <paramref name="kubeadm"/> may deploy the control plane version.</summary>
    public static void EnsureControlPlane(KubeVersion kubeadm, KubeVersion controlPlane) => Throw(CheckControlPlane(kubeadm, controlPlane));

    /// <summary>
    /// Checks kube-controller-manager or kube-scheduler (<paramref name="component"/>) against the API server: at most
    /// one minor older, never newer.
    /// </summary>
    public static IReadOnlyList<KubeException> CheckControlPlaneSkew(KubeVersion apiServer, KubeVersion componentVersion, string component)
    {
        ArgumentNullException.ThrowIfNull(apiServer);
        ArgumentNullException.ThrowIfNull(componentVersion);
        int api = Index(apiServer), c = Index(componentVersion);
        if (c <= api && api - c <= ControllerBelowApiServer) return [];
        var lowest = KubeVersion.Create(apiServer.Major, Math.Max(0, apiServer.Minor - ControllerBelowApiServer));
        string what = c > api ? "newer than" : $"{api - c} minors older than";
        return [new KubeException("Version.ControlPlaneSkew",
            $"{component} {componentVersion} is {what} kube-apiserver {apiServer}; it must be from {lowest} to {apiServer.MinorVersion}.",
            KubeErrorCategory.InvalidArgument, componentVersion.ToString(),
            c > api ? $"Upgrade kube-apiserver before {component}." : $"Upgrade {component} to {apiServer.MinorVersion}.")];
    }

    /// <summary>Throws the collected violations: one as itself, several as a <see cref="KubeAggregateException"/>.</summary>
    public static void Throw(IReadOnlyList<KubeException> errors)
    {
        if (errors.Count == 1) throw errors[0];
        if (errors.Count > 1) throw new KubeAggregateException(errors);
    }

    static KubeException Unsupported(KubeVersion v) => new("Version.Unsupported",
        $"Kubernetes {v} is not supported. Supported minors are {VersionCatalog.Oldest} to {VersionCatalog.Newest}.",
        KubeErrorCategory.InvalidArgument, v.ToString(), $"Choose a version from {VersionCatalog.Oldest} to {VersionCatalog.Newest}.");

    static string DescribeTargets(KubeVersion current)
    {
        var targets = UpgradeTargets(current);
        return targets.Count switch
        {
            0 => $"No catalog version is a valid target from {current}.",
            1 => $"The valid target from {current} is {targets[0]}.",
            _ => $"Valid targets from {current} are {string.Join(" and ", targets)}.",
        };
    }

    /// <summary>A version's position on one line of minors, so that majors compare too.</summary>
    static int Index(KubeVersion v) => v.Major * 1000 + v.Minor;
}
