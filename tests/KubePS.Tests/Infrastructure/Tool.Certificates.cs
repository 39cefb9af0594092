using Xunit;

namespace KubePS.Tests.Infrastructure;

/// <summary>openssl as the judge of certificates: its -text and asn1parse views, parsed once per certificate content.</summary>
public static partial class Tool
{
    /// <summary>openssl, asserting success; returns stdout.</summary>
    public static string OpenSsl(params string[] args)
    {
        var r = Run("openssl", args);
        Assert.True(r.ExitCode == 0, $"openssl {string.Join(' ', args)} failed: {r.All}");
        return r.Output;
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
