namespace KubePS.Tests.Manifests;

/// <summary>
/// shared/kubeadm-reference: real kubeadm output. Found as ../shared beside the folder holding KubePS.sln (a clone with
/// shared/ next to it, as CI has it); from a git worktree nested one level deeper, the nearest ancestor's shared/ is used.
/// </summary>
internal static class Golden
{
    public static string Dir => Repo.Reference ?? throw new InvalidOperationException("shared/kubeadm-reference not found above " + Repo.Root);

    public static string Read(string version, string file) => File.ReadAllText(Path.Combine(Dir, version, "manifests", file));
}
