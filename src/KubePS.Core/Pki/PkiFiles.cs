using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KubePS.Core.Pki;

/// <summary>A file of a PKI or kubeconfig set: path relative to its folder, bytes and Unix mode. ToString never shows content.</summary>
public sealed record PkiFile(string RelativePath, byte[] Content, UnixFileMode Mode)
{
    public bool IsSecret => Mode == Modes.Secret;
    public override string ToString() => $"{RelativePath} ({Convert.ToString((int)Mode, 8)}, {Content.Length} bytes)";
}

/// <summary>kubeadm's file modes (kubeadm-facts §1.5).</summary>
public static class Modes
{
    /// <summary>0600: private keys, sa.pub, kubeconfigs.</summary>
    public const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>0644: certificates.</summary>
    public const UnixFileMode Public = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>0755: directories made for certificates and keys.</summary>
    public const UnixFileMode Directory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                          UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
}

/// <summary>Local file reading and writing for PKI material.</summary>
public static class PkiFiles
{
    /// <summary>Every CERTIFICATE block of a PEM file; <c>Pki.InvalidCertificate</c> when there is none or one does not parse.</summary>
    public static IReadOnlyList<X509Certificate2> LoadCertificates(string path) =>
        ParseCertificates(ReadText(path), path);

    internal static string ReadText(string path)
    {
        try { return File.ReadAllText(path, Encoding.UTF8); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeException("Pki.ReadFailed", $"Cannot read {path}: {e.Message}", KubeErrorCategory.ReadError, path, "Check the path and its permissions.", e);
        }
    }

    internal static IReadOnlyList<X509Certificate2> ParseCertificates(string text, string source)
    {
        var list = new List<X509Certificate2>();
        foreach (var block in Pem.Decode(text))
        {
            if (block.Label != "CERTIFICATE") continue;
            try { list.Add(new X509Certificate2(block.Der)); }
            catch (CryptographicException e)
            {
                throw new KubeException("Pki.InvalidCertificate", $"The certificate file {source} holds a CERTIFICATE block that does not parse: {e.Message}",
                    KubeErrorCategory.InvalidData, source, "Replace the file with a PEM certificate, or remove it so that a new one is made.", e);
            }
        }
        if (list.Count == 0)
            throw new KubeException("Pki.InvalidCertificate", $"The certificate file {source} holds no PEM CERTIFICATE block.",
                KubeErrorCategory.InvalidData, source, "Replace the file with a PEM certificate, or remove it so that a new one is made.");
        return list;
    }

    /// <summary>
    /// Writes files under <paramref name="directory"/>: directories are made 0755, each file is written to a temporary
    /// file created with its final mode (so a key is never readable by others, even briefly) and renamed into place.
    /// Files whose bytes are already right are left alone (their mode is still corrected). Returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> WriteAll(string directory, IEnumerable<PkiFile> files)
    {
        var all = files.ToList();
        // A file where a folder goes would make the writes fail halfway: refuse it before anything is written.
        var blocked = all.SelectMany(f => Folders(directory, f.RelativePath)).Distinct().Where(File.Exists).ToList();
        if (blocked.Count > 0)
            throw new KubeException("Pki.WriteFailed",
                $"Cannot write under {directory}: {string.Join(", ", blocked)} {(blocked.Count == 1 ? "is a file" : "are files")} where a folder must go. Nothing was written.",
                KubeErrorCategory.WriteError, blocked[0], "Move the file away, or write to another folder.");
        var written = new List<string>();
        foreach (var f in all)
        {
            var path = Path.Combine(directory, f.RelativePath);
            var dir = Path.GetDirectoryName(path)!;
            CreateDirectory(dir);
            if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(f.Content))
            {
                if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(path) != f.Mode) File.SetUnixFileMode(path, f.Mode);
                continue;
            }
            WriteAtomic(path, f.Content, f.Mode);
            written.Add(path);
        }
        return written;
    }

    /// <summary>The folders a file under <paramref name="directory"/> needs, from <paramref name="directory"/> down.</summary>
    static IEnumerable<string> Folders(string directory, string relativePath)
    {
        yield return directory;
        var parts = relativePath.Split('/', '\\');
        var path = directory;
        for (int i = 0; i < parts.Length - 1; i++) yield return path = Path.Combine(path, parts[i]);
    }

    internal static void CreateDirectory(string dir)
    {
        if (Directory.Exists(dir)) return;
        try
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
            else Directory.CreateDirectory(dir, Modes.Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // e.g. a file stands where the folder goes: the same stable error as a file that cannot be written.
            throw new KubeException("Pki.WriteFailed", $"Cannot create the folder {dir}: {e.Message}", KubeErrorCategory.WriteError, dir,
                "Check that the folder is writable and that no file of that name stands in its way.", e);
        }
    }

    /// <summary>Writes one file atomically with the given mode from its creation on.</summary>
    public static void WriteAtomic(string path, byte[] content, UnixFileMode mode)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        try
        {
            using (var fs = new FileStream(temp, options))
            {
                fs.Write(content);
                fs.Flush(flushToDisk: true);
            }
            // UnixCreateMode is filtered by the umask; set the exact mode before the file becomes visible.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, mode);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw new KubeException("Pki.WriteFailed", $"Cannot write {path}: {e.Message}", KubeErrorCategory.WriteError, path, "Check that the folder is writable.", e);
        }
    }
}
