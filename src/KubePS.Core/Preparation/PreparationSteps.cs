namespace KubePS.Core.Preparation;

/// <summary>The names of the preparation steps (plan steps), which -Fix and -Step select by.</summary>
public static class PreparationSteps
{
    public const string Swap = "prerequisites/swap";
    public const string KernelModules = "prerequisites/kernel-modules";
    public const string Sysctl = "prerequisites/sysctl";
    public const string SELinux = "prerequisites/selinux";
    public const string Firewall = "prerequisites/firewall";
    public const string Packages = "prerequisites/packages";
    public const string TimeSync = "prerequisites/time-sync";
    public const string HostName = "prerequisites/hostname";

    public const string RuntimeRepository = "runtime/repository";
    public const string RuntimePackage = "runtime/package";
    public const string RuntimeConfig = "runtime/config";
    public const string RuntimeCriDockerd = "runtime/cri-dockerd";
    public const string RuntimeService = "runtime/service";

    public const string PackagesRepository = "packages/repository";
    public const string PackagesInstall = "packages/install";
    public const string PackagesHold = "packages/hold";
    public const string PackagesBinaries = "packages/binaries";
    public const string PackagesKubeletUnit = "packages/kubelet-unit";
    public const string PackagesKubeletService = "packages/kubelet-service";

    public const string ImagesPull = "images/pull";

    /// <summary>The node-prerequisite steps in the order they run.</summary>
    public static readonly IReadOnlyList<string> Prerequisites = [Swap, KernelModules, Sysctl, SELinux, Firewall, Packages, TimeSync, HostName];
}
