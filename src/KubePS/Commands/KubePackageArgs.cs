using System.Management.Automation;
using KubePS.Core.Preparation;

namespace KubePS.Commands;

/// <summary>
/// The package files and binaries Install-KubePackage and Update-KubeCluster take (-PackagePath, -BinaryPath), as Core's
/// options. Only PowerShell path resolution happens here; the decisions (and their refusals) are in
/// <see cref="KubePackages"/>.
/// </summary>
internal static class KubePackageArgs
{
    /// <summary>-PackagePath resolved (wildcards too) and read (see <see cref="KubePackages.ReadPackageFiles"/>). Call on the pipeline thread.</summary>
    public static List<LocalPackageFile> PackageFiles(PSCmdlet cmdlet, IEnumerable<string> paths) =>
        KubePackages.ReadPackageFiles(paths.SelectMany(p => cmdlet.GetResolvedProviderPathFromPSPath(p, out _)).ToList());

    /// <summary>The named binaries of -BinaryPath's folder, read (see <see cref="KubePackages.ReadBinaries"/>). Call on the pipeline thread.</summary>
    public static Dictionary<string, byte[]> Binaries(PSCmdlet cmdlet, string binaryPath, IReadOnlyList<string> names) =>
        KubePackages.ReadBinaries(cmdlet.GetUnresolvedProviderPathFromPSPath(binaryPath), names);
}
