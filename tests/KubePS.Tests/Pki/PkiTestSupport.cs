using Xunit;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;

namespace KubePS.Tests.Pki;

/// <summary>A unique temp folder, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class RepoPaths
{
    /// <summary>The folder holding KubePS.sln, found by walking up from the test assembly.</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KubePS.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("KubePS.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>
    /// shared/kubeadm-reference beside the repository (../shared from the folder with KubePS.sln; for a git worktree
    /// nested deeper, the nearest ancestor's shared/), or null when absent.
    /// </summary>
    public static string? Reference
    {
        get
        {
            for (var dir = Directory.GetParent(RepoRoot); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "shared", "kubeadm-reference");
                if (Directory.Exists(path)) return path;
            }
            return null;
        }
    }
}

/// <summary>Generated sets per version, made once per test run (RSA key generation is slow) and written to disk.</summary>
public sealed class PkiFixture : IDisposable
{
    readonly Dictionary<string, (KubePki Pki, string Dir, PkiRequest Request)> _sets = new();
    readonly TempDir _temp = new();
    readonly object _lock = new();

    public (KubePki Pki, string Dir, PkiRequest Request) Get(string version, string nodeName = "node-a1", string advertise = "10.0.1.171")
    {
        lock (_lock)
        {
            var key = $"{version}/{nodeName}/{advertise}";
            if (_sets.TryGetValue(key, out var s)) return s;
            var request = new PkiRequest
            {
                NodeName = nodeName,
                AdvertiseAddress = advertise,
                KubernetesVersion = KubeVersion.Parse(version),
            };
            var pki = KubePkiBuilder.Create(request);
            var dir = Path.Combine(_temp.Path, key.Replace('/', '_'));
            pki.Export(dir);
            _sets[key] = (pki, dir, request);
            return _sets[key];
        }
    }

    public void Dispose() => _temp.Dispose();
}

[CollectionDefinition("pki")]
public sealed class PkiCollection : ICollectionFixture<PkiFixture>;
