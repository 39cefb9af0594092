using KubePS.Core.Operations;

namespace KubePS.Core.Configuration;

/// <summary>Reading and writing kubeadm configuration files (Import-/Export-KubeadmConfiguration).</summary>
public static class KubeadmConfigFile
{
    /// <summary>Reads and validates a kubeadm configuration file.</summary>
    public static KubeClusterConfiguration Import(string path) => KubeClusterConfiguration.ReadFile(path).Validate();

    /// <summary>
    /// Reads a kubeadm configuration file, writes each of its <see cref="KubeClusterConfiguration.Warnings"/> (unknown
    /// component-config fields) to <paramref name="sink"/> as a warning, as kubeadm init/join print them, then
    /// validates it. The warnings come first, so they are seen even when validation fails.
    /// </summary>
    public static KubeClusterConfiguration Import(string path, IOperationSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var configuration = KubeClusterConfiguration.ReadFile(path);
        foreach (var warning in configuration.Warnings)
            sink.WriteWarning(warning.Message);
        return configuration.Validate();
    }

    /// <summary>
    /// The YAML export writes: the configuration (with kubeadm's defaults filled in when <paramref name="includeDefaults"/>)
    /// as <paramref name="apiVersion"/> (null: the target version's default). Refuses an API version the target
    /// version's kubeadm does not read, since the file would not read back.
    /// </summary>
    public static string ToYaml(KubeClusterConfiguration configuration, string? apiVersion = null, bool includeDefaults = false)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var release = configuration.Release;
        string version = apiVersion ?? configuration.DefaultExportApiVersion;
        if (KubeadmApi.WritableVersions.Contains(version) && !release.ConfigApiVersions.Contains(version))
            throw new KubeException("Config.ApiVersionNotSupported",
                $"kubeadm {release.Minor} does not read {KubeadmApi.Group}/{version}; it reads {string.Join(", ", release.ConfigApiVersions.Select(v => $"{KubeadmApi.Group}/{v}"))}.",
                KubeErrorCategory.InvalidArgument, version,
                $"Export with -ApiVersion {configuration.DefaultExportApiVersion}.");
        return (includeDefaults ? configuration.WithDefaults() : configuration).ToYaml(version);
    }

    /// <summary>
    /// Writes the configuration to <paramref name="path"/> after asking <paramref name="sink"/> (ShouldProcess). The file is
    /// written next to the target and renamed into place, so it is either the old or the new one; it gets mode 0600 when
    /// it holds a bootstrap token or certificate key. An existing file is replaced only with <paramref name="force"/>.
    /// Returns the file, or null when the change was declined (-WhatIf).
    /// </summary>
    public static async Task<FileInfo?> ExportAsync(KubeClusterConfiguration configuration, string path, string? apiVersion, bool force,
        bool includeDefaults, IOperationSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(sink);
        string yaml = ToYaml(configuration, apiVersion, includeDefaults);   // fails before anything is written
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new KubeException("Config.FileExists", $"{full} is a directory; give a file name such as {Path.Combine(full, "kubeadm-config.yaml")}.",
                KubeErrorCategory.InvalidArgument, full, "Give the path of a file.");
        if (File.Exists(full) && !force)
            throw new KubeException("Config.FileExists", $"{full} exists; KubePS does not overwrite it without -Force.",
                KubeErrorCategory.ResourceExists, full, "Add -Force to replace it, or choose another path.");
        if (!await sink.ShouldChangeAsync(full, "Write kubeadm configuration", cancellationToken).ConfigureAwait(false)) return null;

        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new KubeException("Config.FileNotWritable", $"Cannot write {full}: the directory {dir} does not exist.",
                KubeErrorCategory.WriteError, full, "Create the directory first.");
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = configuration.ContainsSecrets
                    ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            await using (var stream = new FileStream(temp, options))
            await using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false)))
                await writer.WriteAsync(yaml.AsMemory(), cancellationToken).ConfigureAwait(false);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new KubeException("Config.FileNotWritable", $"Cannot write {full}: {e.Message}", KubeErrorCategory.WriteError, full,
                "Check the path and its permissions.", e);
        }
        sink.WriteVerbose($"wrote {full} ({(configuration.ContainsSecrets ? "0600, holds secrets" : "0644")})");
        return new FileInfo(full);
    }
}
