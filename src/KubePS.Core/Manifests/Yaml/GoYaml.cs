using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace KubePS.Core.Manifests.Yaml;

/// <summary>
/// Writes and reads YAML the way kubeadm does: Go objects go JSON → YAML through sigs.k8s.io/yaml, which hands the
/// document to go-yaml v2. So map keys are sorted (go-yaml's order), block sequences inside maps are not indented,
/// empty maps and lists are <c>{}</c> / <c>[]</c>, and a string is written plain unless it would read back as another
/// type (a number, a bool, null, a timestamp), in which case it is double-quoted; the libyaml emitter itself falls back
/// to single quotes where a plain scalar is not allowed. YamlDotNet's emitter is a port of the same libyaml emitter, so
/// its decisions about plain/single-quoted scalars, indentation and the 80-column fold are the ones go-yaml makes.
/// </summary>
internal static partial class GoYaml
{
    /// <summary>The document, ending in a newline, without <c>---</c>/<c>...</c> markers.</summary>
    public static string Emit(YNode root)
    {
        var sw = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(sw, new EmitterSettings(bestIndent: 2, bestWidth: 80, isCanonical: false, maxSimpleKeyLength: 1024));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        EmitNode(emitter, root);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return sw.ToString();
    }

    public static byte[] EmitBytes(YNode root) => new UTF8Encoding(false).GetBytes(Emit(root));

    static void EmitNode(IEmitter e, YNode node)
    {
        switch (node)
        {
            case YMap m:
                e.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Block));
                foreach (var (k, v) in m.Sorted())
                {
                    EmitString(e, k);
                    EmitNode(e, v);
                }
                e.Emit(new MappingEnd());
                break;
            case YList l:
                e.Emit(new SequenceStart(null, null, isImplicit: true, SequenceStyle.Block));
                foreach (var item in l.Items) EmitNode(e, item);
                e.Emit(new SequenceEnd());
                break;
            case YScalar s when s.Kind == YScalarKind.String:
                EmitString(e, s.Text);
                break;
            case YScalar s:
                e.Emit(new Scalar(null, null, s.Text, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
            default:
                throw new InvalidOperationException("unknown YAML node " + node.GetType().Name);
        }
    }

    static void EmitString(IEmitter e, string s)
    {
        ScalarStyle style;
        if (s.Contains('\n')) style = ScalarStyle.Literal;
        else if (ResolvesAsString(s) && !Base60Float().IsMatch(s)) style = ScalarStyle.Plain;
        else style = ScalarStyle.DoubleQuoted;
        e.Emit(new Scalar(null, null, s, style, isPlainImplicit: true, isQuotedImplicit: true));
    }

    /// <summary>True when go-yaml v2 would read this plain scalar back as a string (not null, bool, int, float or timestamp).</summary>
    internal static bool ResolvesAsString(string s) => Resolve(s).Kind == YScalarKind.String;

    /// <summary>go-yaml v2's resolution of an untagged plain scalar.</summary>
    internal static YScalar Resolve(string s)
    {
        switch (s)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return YScalar.Null();
            case "y" or "Y" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "true" or "True" or "TRUE":
                return YScalar.Typed(YScalarKind.Bool, "true");
            case "n" or "N" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "false" or "False" or "FALSE":
                return YScalar.Typed(YScalarKind.Bool, "false");
            case ".nan" or ".NaN" or ".NAN" or ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF":
                return YScalar.Typed(YScalarKind.Float, s);
        }
        char c = s[0];
        if (c == '.')
            return YamlStyleFloat().IsMatch(s) ? YScalar.Typed(YScalarKind.Float, s) : YScalar.Str(s);
        if (c is '+' or '-' || char.IsAsciiDigit(c))
        {
            if (c != '+' && c != '-' && Timestamp().IsMatch(s)) return TimestampScalar(s);
            string plain = s.Replace("_", "", StringComparison.Ordinal);
            if (GoParseInt(plain, out long v)) return YScalar.Typed(YScalarKind.Int, v.ToString(CultureInfo.InvariantCulture));
            if (GoParseUInt(plain)) return YScalar.Typed(YScalarKind.Int, plain);
            if (YamlStyleFloat().IsMatch(plain)) return YScalar.Typed(YScalarKind.Float, plain);
        }
        return YScalar.Str(s);
    }

    // A timestamp is not a JSON type; go-yaml only needs to know it is "not a string" to quote it.
    static YScalar TimestampScalar(string s) => YScalar.Typed(YScalarKind.Float, s);

    /// <summary>strconv.ParseInt(s, 0, 64): optional sign, then decimal, 0x/0X hex, 0o/0O or leading-0 octal, 0b/0B binary.</summary>
    static bool GoParseInt(string s, out long value)
    {
        value = 0;
        bool neg = false;
        string t = s;
        if (t.StartsWith('+') || t.StartsWith('-')) { neg = t[0] == '-'; t = t[1..]; }
        if (!TryParseMagnitude(t, out var mag)) return false;
        if (neg) { if (mag > (ulong)long.MaxValue + 1) return false; value = mag == (ulong)long.MaxValue + 1 ? long.MinValue : -(long)mag; }
        else { if (mag > long.MaxValue) return false; value = (long)mag; }
        return true;
    }

    static bool GoParseUInt(string s) => !s.StartsWith('-') && !s.StartsWith('+') && TryParseMagnitude(s, out _);

    static bool TryParseMagnitude(string t, out ulong mag)
    {
        mag = 0;
        if (t.Length == 0) return false;
        int radix = 10;
        string digits = t;
        if (t.Length > 1 && t[0] == '0')
        {
            char p = char.ToLowerInvariant(t[1]);
            if (p == 'x') { radix = 16; digits = t[2..]; }
            else if (p == 'o') { radix = 8; digits = t[2..]; }
            else if (p == 'b') { radix = 2; digits = t[2..]; }
            else { radix = 8; digits = t[1..]; }
        }
        if (digits.Length == 0) return false;
        foreach (char ch in digits)
        {
            int d = ch switch
            {
                >= '0' and <= '9' => ch - '0',
                >= 'a' and <= 'f' => ch - 'a' + 10,
                >= 'A' and <= 'F' => ch - 'A' + 10,
                _ => 99,
            };
            if (d >= radix) return false;
            try { mag = checked(mag * (ulong)radix + (ulong)d); }
            catch (OverflowException) { return false; }
        }
        return true;
    }

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex YamlStyleFloat();

    [GeneratedRegex(@"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Base60Float();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Timestamp();

    /// <summary>
    /// Parses one YAML document into a tree, typing plain scalars as go-yaml v2 does (quoted scalars are strings).
    /// Throws <c>Manifests.InvalidYaml</c> naming <paramref name="what"/> for malformed input.
    /// </summary>
    public static YNode? Parse(string text, string what)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new KubeException("Manifests.InvalidYaml",
                $"{what} is not valid YAML: {ex.Message}",
                KubeErrorCategory.InvalidData, what, "Check the YAML syntax (indentation, quoting) of the document.", ex);
        }
        if (stream.Documents.Count == 0) return null;
        if (stream.Documents.Count > 1)
            throw new KubeException("Manifests.InvalidYaml", $"{what} holds {stream.Documents.Count} YAML documents; exactly one is expected.",
                KubeErrorCategory.InvalidData, what, "Pass a single document.");
        return Convert(stream.Documents[0].RootNode);
    }

    static YNode Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode m:
                var map = new YMap();
                foreach (var (k, v) in m.Children)
                    map[((YamlScalarNode)k).Value ?? ""] = Convert(v);
                return map;
            case YamlSequenceNode s:
                return new YList(s.Children.Select(Convert));
            case YamlScalarNode sc:
                string value = sc.Value ?? "";
                if (sc.Style is ScalarStyle.Plain or ScalarStyle.Any && sc.Tag.IsEmpty) return Resolve(value);
                return YScalar.Str(value);
            default:
                throw new KubeException("Manifests.InvalidYaml", "YAML aliases are not supported here.", KubeErrorCategory.InvalidData);
        }
    }
}
