using KubePS.Core.Versioning;

namespace KubePS.Commands;

/// <summary>Small conversions shared by the cmdlets.</summary>
internal static class CommandArgs
{
    /// <summary>The version given, resolved against the catalog (newest patch for a minor); the newest release when null.</summary>
    public static KubeVersion Version(string? text) =>
        string.IsNullOrWhiteSpace(text) ? VersionCatalog.NewestRelease : VersionCatalog.Resolve(KubeVersion.Parse(text));

    /// <summary>An enum value from a ValidateSet string parameter (cmdlet classes keep Core enums out of their fields).</summary>
    public static T Parse<T>(string value) where T : struct, Enum => Enum.Parse<T>(value, ignoreCase: true);

    public static TimeSpan? Days(int? days) => days is int d ? TimeSpan.FromDays(d) : null;

    /// <summary>A PowerShell path (relative to the current location, ~) as a file-system path. Call on the pipeline thread.</summary>
    public static string FullPath(System.Management.Automation.PSCmdlet cmdlet, string path) =>
        cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
