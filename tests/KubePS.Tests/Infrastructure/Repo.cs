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

    /// <summary>The shared/ folder beside the repository (kubeadm-reference, lab recipes), or null if absent.</summary>
    public static string? Shared
    {
        get
        {
            var p = Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            return Directory.Exists(p) ? p : null;
        }
    }

    public static string Path_(params string[] parts) => Path.Combine([Root, .. parts]);
}
