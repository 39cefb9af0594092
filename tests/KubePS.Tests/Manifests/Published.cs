namespace KubePS.Tests.Manifests;

/// <summary>Real kubeadm output published in public documents (see Published/README.md for sources and environments).</summary>
internal static class Published
{
    public static string Read(string file) => File.ReadAllText(Repo.Path_("tests", "KubePS.Tests", "Manifests", "Published", file));
}
