using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Preparation;

namespace KubePS.Commands;

/// <summary>The package sources Install-KubePackage and Update-KubeCluster take (-Repository, -Mirror, -PackagePath, -BinaryPath), as Core's options.</summary>
internal static class KubePackageArgs
{
    /// <summary>
    /// -Repository or -Mirror as a repository for a release ('aliyun' or a mirror's base URL, with the legacy layout for
    /// releases pkgs.k8s.io does not serve); null when neither is given. Both at once is Packages.ConflictingSources.
    /// </summary>
    public static KubePackageRepository? Repository(string? repository, string? mirror, bool servedByPkgsK8sIo)
    {
        if (repository is not null && mirror is not null)
            throw new KubeException("Packages.ConflictingSources", "Give -Repository or -Mirror, not both.", KubeErrorCategory.InvalidArgument, mirror, "Use one of them.");
        if (repository is not null) return new KubePackageRepository(repository, PackageRepositoryLayout.PkgsK8sIo);
        if (mirror is null) return null;
        return mirror.Equals("aliyun", StringComparison.OrdinalIgnoreCase)
            ? (servedByPkgsK8sIo ? KubePackageRepository.Aliyun : KubePackageRepository.AliyunLegacy)
            : new KubePackageRepository(mirror, servedByPkgsK8sIo ? PackageRepositoryLayout.Mirror : PackageRepositoryLayout.Legacy);
    }

    /// <summary>-PackagePath read: each file as given, and each folder's .deb and .rpm files in ordinal order. Call on the pipeline thread.</summary>
    public static List<LocalPackageFile> PackageFiles(PSCmdlet cmdlet, IEnumerable<string> paths)
    {
        var files = new List<LocalPackageFile>();
        foreach (var path in paths)
            foreach (var resolved in cmdlet.GetResolvedProviderPathFromPSPath(path, out _))
            {
                IEnumerable<string> found = Directory.Exists(resolved)
                    ? Directory.EnumerateFiles(resolved).Where(f => f.EndsWith(".deb", StringComparison.Ordinal) || f.EndsWith(".rpm", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                    : new[] { resolved };
                foreach (var f in found) files.Add(new LocalPackageFile(Path.GetFileName(f), File.ReadAllBytes(f)));
            }
        return files;
    }

    /// <summary>The named binaries of -BinaryPath's folder, read; a missing one is Packages.MissingBinary. Call on the pipeline thread.</summary>
    public static Dictionary<string, byte[]> Binaries(PSCmdlet cmdlet, string binaryPath, IReadOnlyList<string> names)
    {
        var dir = cmdlet.GetUnresolvedProviderPathFromPSPath(binaryPath);
        var binaries = new Dictionary<string, byte[]>();
        foreach (var name in names)
        {
            var f = Path.Combine(dir, name);
            if (!File.Exists(f))
                throw new KubeException("Packages.MissingBinary", $"{dir} has no {name}.", KubeErrorCategory.ObjectNotFound, f, $"Put {string.Join(", ", names)} in the folder.");
            binaries[name] = File.ReadAllBytes(f);
        }
        return binaries;
    }
}
