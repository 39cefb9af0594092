using System.Text;

namespace KubePS.Core.Pki;

/// <summary>One PEM block: its label (e.g. <c>CERTIFICATE</c>) and its DER content.</summary>
public sealed record PemBlock(string Label, byte[] Der);

/// <summary>
/// PEM reading and writing as Go's encoding/pem does it: 64-character base64 lines, <c>\n</c> line ends and a final
/// newline, blocks concatenated without blank lines.
/// </summary>
public static class Pem
{
    /// <summary>One block in Go's pem.Encode form.</summary>
    public static string Encode(string label, ReadOnlySpan<byte> der)
    {
        var sb = new StringBuilder();
        AppendBlock(sb, label, der);
        return sb.ToString();
    }

    /// <summary>Several blocks of the same label, concatenated (a certificate bundle).</summary>
    public static string Encode(string label, IEnumerable<byte[]> ders)
    {
        var sb = new StringBuilder();
        foreach (var der in ders) AppendBlock(sb, label, der);
        return sb.ToString();
    }

    static void AppendBlock(StringBuilder sb, string label, ReadOnlySpan<byte> der)
    {
        sb.Append("-----BEGIN ").Append(label).Append("-----\n");
        var b64 = Convert.ToBase64String(der);
        for (int i = 0; i < b64.Length; i += 64)
            sb.Append(b64, i, Math.Min(64, b64.Length - i)).Append('\n');
        sb.Append("-----END ").Append(label).Append("-----\n");
    }

    /// <summary>Every PEM block in the text, in order. Text outside blocks is ignored, as Go's pem.Decode does.</summary>
    public static IReadOnlyList<PemBlock> Decode(string text)
    {
        var blocks = new List<PemBlock>();
        int pos = 0;
        while (true)
        {
            int begin = text.IndexOf("-----BEGIN ", pos, StringComparison.Ordinal);
            if (begin < 0) break;
            int labelEnd = text.IndexOf("-----", begin + 11, StringComparison.Ordinal);
            if (labelEnd < 0) break;
            var label = text.Substring(begin + 11, labelEnd - begin - 11);
            var endMarker = "-----END " + label + "-----";
            int end = text.IndexOf(endMarker, labelEnd + 5, StringComparison.Ordinal);
            if (end < 0) break;
            var body = text.Substring(labelEnd + 5, end - labelEnd - 5);
            var b64 = new StringBuilder(body.Length);
            foreach (var ch in body)
                if (!char.IsWhiteSpace(ch)) b64.Append(ch);
            byte[] der;
            try { der = Convert.FromBase64String(b64.ToString()); }
            catch (FormatException) { pos = end + endMarker.Length; continue; }
            blocks.Add(new PemBlock(label, der));
            pos = end + endMarker.Length;
        }
        return blocks;
    }
}
