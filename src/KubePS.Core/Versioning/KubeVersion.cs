using System.Globalization;
using System.Text.RegularExpressions;

namespace KubePS.Core.Versioning;

/// <summary>
/// A Kubernetes release version: <c>1.30</c> (a minor, any patch), <c>1.30.4</c> or <c>v1.30.4</c>.
/// Pre-release and build suffixes are not accepted: KubePS deploys released versions only.
/// </summary>
public sealed partial class KubeVersion : IComparable<KubeVersion>, IEquatable<KubeVersion>
{
    KubeVersion(int major, int minor, int? patch) { Major = major; Minor = minor; Patch = patch; }

    public int Major { get; }
    public int Minor { get; }

    /// <summary>The patch number, or null when only a minor was given (<c>1.30</c>).</summary>
    public int? Patch { get; }

    /// <summary>True when a patch number was given.</summary>
    public bool IsExact => Patch.HasValue;

    /// <summary>This version without its patch: <c>v1.30.4</c> → <c>v1.30</c>.</summary>
    public KubeVersion MinorVersion => new(Major, Minor, null);

    public static KubeVersion Create(int major, int minor, int? patch = null)
    {
        if (major < 0 || minor < 0 || patch < 0) throw new ArgumentOutOfRangeException(nameof(major), "version parts must not be negative");
        return new KubeVersion(major, minor, patch);
    }

    [GeneratedRegex(@"^v?(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})(?:\.(0|[1-9][0-9]{0,5}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool TryParse(string? text, out KubeVersion version)
    {
        version = null!;
        if (text is null) return false;
        var m = Pattern().Match(text.Trim());
        if (!m.Success) return false;
        int major = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        int minor = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        int? patch = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : null;
        version = new KubeVersion(major, minor, patch);
        return true;
    }

    /// <summary>Parses a version or throws <see cref="KubeException"/> <c>Version.Invalid</c> naming the value.</summary>
    public static KubeVersion Parse(string? text)
    {
        if (TryParse(text, out var v)) return v;
        throw new KubeException("Version.Invalid",
            $"'{text}' is not a Kubernetes version. Valid forms are 1.30, 1.30.4 and v1.30.4 (no pre-release or build suffix).",
            KubeErrorCategory.InvalidArgument, text, "Give a released version such as 1.30.4.");
    }

    public int CompareTo(KubeVersion? other)
    {
        if (other is null) return 1;
        int c = Major.CompareTo(other.Major);
        if (c != 0) return c;
        c = Minor.CompareTo(other.Minor);
        if (c != 0) return c;
        return (Patch ?? -1).CompareTo(other.Patch ?? -1);
    }

    /// <summary>Same major and minor, whatever the patch.</summary>
    public bool SameMinor(KubeVersion other) => Major == other.Major && Minor == other.Minor;

    public bool Equals(KubeVersion? other) => other is not null && CompareTo(other) == 0;
    public override bool Equals(object? obj) => obj is KubeVersion v && Equals(v);
    public override int GetHashCode() => HashCode.Combine(Major, Minor, Patch);

    /// <summary><c>v1.30.4</c>, or <c>v1.30</c> for a minor.</summary>
    public override string ToString() => Patch is int p ? $"v{Major}.{Minor}.{p}" : $"v{Major}.{Minor}";

    public static bool operator ==(KubeVersion? a, KubeVersion? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(KubeVersion? a, KubeVersion? b) => !(a == b);
    public static bool operator <(KubeVersion a, KubeVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(KubeVersion a, KubeVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(KubeVersion a, KubeVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(KubeVersion a, KubeVersion b) => a.CompareTo(b) >= 0;
}
