using System.Text.Json;

namespace KubePS.Core.Versioning;

/// <summary>
/// The version catalog: one <see cref="ReleaseInfo"/> per supported minor, loaded from the embedded catalog.json.
/// </summary>
public static class VersionCatalog
{
    static readonly Lazy<IReadOnlyList<ReleaseInfo>> _rows = new(Load);

    public static IReadOnlyList<ReleaseInfo> Releases => _rows.Value;

    public static KubeVersion Oldest => Releases[0].Minor;
    public static KubeVersion Newest => Releases[^1].Minor;

    /// <summary>The newest patch of the newest minor: the default Kubernetes version.</summary>
    public static KubeVersion NewestRelease => KubeVersion.Create(Newest.Major, Newest.Minor, Releases[^1].NewestPatch);

    public static bool TryGet(KubeVersion version, out ReleaseInfo release)
    {
        release = Releases.FirstOrDefault(r => r.Minor.SameMinor(version))!;
        return release is not null;
    }

    /// <summary>The row for a version's minor, or <c>Version.Unsupported</c>.</summary>
    public static ReleaseInfo Get(KubeVersion version)
    {
        var row = Releases.FirstOrDefault(r => r.Minor.SameMinor(version));
        if (row is null)
            throw new KubeException("Version.Unsupported",
                $"Kubernetes {version} is not supported. Supported minors are {Oldest} to {Newest}.",
                KubeErrorCategory.InvalidArgument, version.ToString(), $"Choose a version from {Oldest} to {Newest}.");
        return row;
    }

    /// <summary>Resolves a minor (1.30) to its newest known patch; an exact version is returned unchanged after a support check.</summary>
    public static KubeVersion Resolve(KubeVersion version)
    {
        var row = Get(version);
        return version.Patch is null ? KubeVersion.Create(version.Major, version.Minor, row.NewestPatch) : version;
    }

    static IReadOnlyList<ReleaseInfo> Load()
    {
        using var s = typeof(VersionCatalog).Assembly.GetManifestResourceStream("KubePS.Core.Versioning.catalog.json")
            ?? throw new InvalidOperationException("catalog.json is not embedded in KubePS.Core");
        var doc = JsonSerializer.Deserialize<CatalogFile>(s, new JsonSerializerOptions { ReadCommentHandling = JsonCommentHandling.Skip, PropertyNameCaseInsensitive = true })
            ?? throw new InvalidOperationException("catalog.json is empty");
        var rows = doc.Releases.ToList();
        foreach (var r in rows) r.Minor = KubeVersion.Parse(r.MinorText);
        rows.Sort((a, b) => a.Minor.CompareTo(b.Minor));
        return rows;
    }

    sealed class CatalogFile
    {
        [System.Text.Json.Serialization.JsonPropertyName("releases")]
        public List<ReleaseInfo> Releases { get; init; } = [];
    }
}
