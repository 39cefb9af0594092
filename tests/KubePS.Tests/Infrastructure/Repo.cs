namespace KubePS.Tests.Infrastructure;

/// <summary>Locates the repository (the folder holding KubePS.sln) and the built module from a test assembly.</summary>
public static class Repo
{
    static readonly Lazy<string> _root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KubePS.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("KubePS.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => _root.Value;

    /// <summary>out/KubePS: the module folder `dotnet build` lays out.</summary>
    public static string ModuleDir => Path.Combine(Root, "out", "KubePS");

    /// <summary>
    /// The shared/ folder beside the repository (../shared from the folder with KubePS.sln; for a git worktree nested
    /// deeper, the nearest ancestor's shared/), or null when there is none.
    /// </summary>
    public static string? Shared
    {
        get
        {
            for (var dir = Directory.GetParent(Root); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "shared");
                if (Directory.Exists(Path.Combine(path, "kubeadm-reference"))) return path;
            }
            return null;
        }
    }

    /// <summary>shared/kubeadm-reference: what real kubeadm wrote (golden references), or null when absent.</summary>
    public static string? Reference => Shared is { } shared ? Path.Combine(shared, "kubeadm-reference") : null;

    public static string Path_(params string[] parts) => Path.Combine([Root, .. parts]);
}
