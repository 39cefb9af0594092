using Xunit;
using System.Diagnostics;
using System.Text;
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

public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;
}

/// <summary>Runs real tools (openssl, kubectl, etcdctl, sha256sum) as the judges.</summary>
public static class Tool
{
    public static ToolResult Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, byte[]? stdin = null, int timeoutMs = 60_000)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.BaseStream.Write(stdin);
            p.StandardInput.Close();
        }
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        return new ToolResult(p.ExitCode, so.Result, se.Result);
    }

    public static ToolResult Run(string file, params string[] args) => Run(file, (IEnumerable<string>)args);

    /// <summary>openssl, asserting success; returns stdout.</summary>
    public static string OpenSsl(params string[] args)
    {
        var r = Run("openssl", args);
        Assert.True(r.ExitCode == 0, $"openssl {string.Join(' ', args)} failed: {r.Output}");
        return r.Stdout;
    }

    /// <summary>openssl's -text view of a certificate file, parsed once per file content (process spawns dominate test time).</summary>
    public sealed record CertText(string Text, string Subject, string Issuer, DateTime NotBefore, DateTime NotAfter, string Serial,
        IReadOnlyList<string> ExtensionLines, IReadOnlyList<string> Sans, IReadOnlyList<string> SubjectAsn1)
    {
        /// <summary>The value lines of an extension (by its header without "X509v3 "), joined by newlines; empty when absent.</summary>
        public string Extension(string name)
        {
            var lines = Text.Split('\n');
            for (int i = 0; i < lines.Length; i++)
                if (lines[i].Trim().StartsWith("X509v3 " + name + ":", StringComparison.Ordinal))
                {
                    var values = new List<string>();
                    for (int j = i + 1; j < lines.Length && !lines[j].TrimStart().StartsWith("X509v3 ", StringComparison.Ordinal) && !lines[j].StartsWith("    Signature", StringComparison.Ordinal); j++)
                        values.Add(lines[j].Trim());
                    return string.Join("\n", values);
                }
            return "";
        }
    }

    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, CertText> Cache = new();

    public static CertText Cert(string certFile)
    {
        var bytes = File.ReadAllBytes(certFile);
        var key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes));
        return Cache.GetOrAdd(key, _ => Parse(certFile));
    }

    static CertText Parse(string certFile)
    {
        var text = OpenSsl("x509", "-noout", "-text", "-nameopt", "compat", "-in", certFile);
        var lines = text.Split('\n');
        string Field(string prefix) => lines.Select(l => l.Trim()).First(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..].Trim();
        static string Compat(string oneLine) => oneLine.Length == 0 ? "" : "/" + string.Join("/", oneLine.Split(", "));
        static DateTime D(string v) => DateTime.ParseExact(System.Text.RegularExpressions.Regex.Replace(v, " +", " "), "MMM d HH:mm:ss yyyy 'GMT'",
            System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
        var serialLine = Field("Serial Number:");
        string serial;
        var m = System.Text.RegularExpressions.Regex.Match(serialLine, @"\(0x([0-9a-f]+)\)");
        if (m.Success) serial = m.Groups[1].Value.ToUpperInvariant().PadLeft(2, '0');
        else
        {
            var idx = Array.FindIndex(lines, l => l.Trim().StartsWith("Serial Number:", StringComparison.Ordinal));
            serial = lines[idx + 1].Trim().Replace(":", "").ToUpperInvariant();
        }
        var ext = lines.Select(l => l.Trim()).Where(l => l.StartsWith("X509v3 ", StringComparison.Ordinal) && l != "X509v3 extensions:").ToList();
        var sanIdx = Array.FindIndex(lines, l => l.Trim().StartsWith("X509v3 Subject Alternative Name:", StringComparison.Ordinal));
        IReadOnlyList<string> sans = sanIdx < 0 ? [] : lines[sanIdx + 1].Trim().Split(", ").ToList();
        return new CertText(text, Compat(Field("Subject:")), Compat(Field("Issuer:")), D(Field("Not Before:")), D(Field("Not After :")), serial, ext, sans, ParseSubjectAsn1(certFile));
    }

    /// <summary>The X509v3 extension names in the order openssl prints them, with ": critical" kept.</summary>
    public static IReadOnlyList<string> ExtensionLines(string certFile) => Cert(certFile).ExtensionLines;

    /// <summary>openssl's SAN list, e.g. ["DNS:a", "IP Address:10.0.0.1"], in certificate order.</summary>
    public static IReadOnlyList<string> Sans(string certFile) => Cert(certFile).Sans;

    /// <summary>The subject in DER order, openssl's compat form: "/O=system:masters/CN=x".</summary>
    public static string Subject(string certFile) => Cert(certFile).Subject;

    public static string Issuer(string certFile) => Cert(certFile).Issuer;

    /// <summary>Subject attributes in DER order with their ASN.1 string types, from openssl asn1parse.</summary>
    public static IReadOnlyList<string> SubjectAsn1(string certFile) => Cert(certFile).SubjectAsn1;

    static IReadOnlyList<string> ParseSubjectAsn1(string certFile)
    {
        var text = OpenSsl("asn1parse", "-in", certFile);
        // (OBJECT, string) pairs of issuer then subject; the subject's are after the validity's UTCTIMEs.
        var lines = text.Split('\n');
        var afterValidity = Array.FindLastIndex(lines, l => l.Contains("UTCTIME") || l.Contains("GENERALIZEDTIME"));
        var pairs = new List<string>();
        string? pendingOid = null;
        foreach (var line in lines.Skip(afterValidity + 1))
        {
            if (line.Contains(":commonName") || line.Contains(":organizationName")) pendingOid = line.Contains("commonName") ? "CN" : "O";
            else if (pendingOid is not null && (line.Contains("PRINTABLESTRING") || line.Contains("UTF8STRING")))
            {
                var type = line.Contains("PRINTABLESTRING") ? "PrintableString" : "UTF8String";
                pairs.Add($"{pendingOid}={line[(line.LastIndexOf(':') + 1)..].Trim()} ({type})");
                pendingOid = null;
            }
            else if (line.Contains("rsaEncryption") || line.Contains("id-ecPublicKey")) break;
        }
        return pairs;
    }

    public static DateTime Date(string certFile, string which) => which == "startdate" ? Cert(certFile).NotBefore : Cert(certFile).NotAfter;

    public static string Serial(string certFile) => Cert(certFile).Serial;
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
