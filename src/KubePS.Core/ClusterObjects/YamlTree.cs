using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KubePS.Core.ClusterObjects;

/// <summary>
/// JSON trees to and from YAML, the way Kubernetes' sigs.k8s.io/yaml treats them: a Go struct is marshalled to JSON
/// and then to YAML, so mapping keys come out sorted, sequences sit at their parent key's indentation, and strings
/// that would read as another type are quoted. Used for component configuration (kube-proxy's config.conf) and
/// kubeadm's ClusterStatus.
/// </summary>
static partial class YamlTree
{
    /// <summary>YAML text of a JSON tree, keys sorted (ordinal), with a trailing newline.</summary>
    public static string Write(JsonNode? node)
    {
        var sb = new StringBuilder();
        switch (node)
        {
            case JsonObject o when o.Count > 0: WriteMap(sb, o, 0); break;
            case JsonArray a when a.Count > 0: WriteSeq(sb, a, 0); break;
            default: sb.Append(Scalar(node)).Append('\n'); break;
        }
        return sb.ToString();
    }

    static void WriteMap(StringBuilder sb, JsonObject map, int indent)
    {
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sb.Append(' ', indent).Append(Key(key)).Append(':');
            WriteValueAfterKey(sb, value, indent);
        }
    }

    static void WriteValueAfterKey(StringBuilder sb, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject o when o.Count > 0:
                sb.Append('\n');
                WriteMap(sb, o, indent + 2);
                break;
            case JsonArray a when a.Count > 0:
                sb.Append('\n');
                WriteSeq(sb, a, indent);
                break;
            default:
                sb.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    static void WriteSeq(StringBuilder sb, JsonArray seq, int indent)
    {
        foreach (var item in seq)
        {
            sb.Append(' ', indent).Append('-');
            switch (item)
            {
                case JsonObject o when o.Count > 0:
                    // First pair on the dash line, the rest aligned under it.
                    bool first = true;
                    foreach (var (key, value) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        if (first) { sb.Append(' '); first = false; }
                        else sb.Append(' ', indent + 2);
                        sb.Append(Key(key)).Append(':');
                        WriteValueAfterKey(sb, value, indent + 2);
                    }
                    break;
                case JsonArray a when a.Count > 0:
                    sb.Append('\n');
                    WriteSeq(sb, a, indent + 2);
                    break;
                default:
                    sb.Append(' ').Append(Scalar(item)).Append('\n');
                    break;
            }
        }
    }

    static string Key(string key) => NeedsQuotes(key) ? Quote(key) : key;

    static string Scalar(JsonNode? node)
    {
        switch (node)
        {
            case null: return "null";
            case JsonObject: return "{}";
            case JsonArray: return "[]";
        }
        return node.GetValueKind() switch
        {
            JsonValueKind.String => node.GetValue<string>() is var s && !NeedsQuotes(s) ? s : Quote(s),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null => "null",
            JsonValueKind.Number => node.ToJsonString(),
            var k => throw new InvalidOperationException($"unexpected JSON value kind {k}"),
        };
    }

    /// <summary>A JSON string literal is a valid YAML double-quoted scalar.</summary>
    static string Quote(string s) => JsonSerializer.Serialize(s);

    [GeneratedRegex(@"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|[-+]?(?:\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN|[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*|[0-9]+(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex OtherType();

    static bool NeedsQuotes(string s)
    {
        if (s.Length == 0 || OtherType().IsMatch(s)) return true;
        if (char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[^1])) return true;
        if ("-?:,[]{}#&*!|>'\"%@`".Contains(s[0])) return true;
        if (s.EndsWith(':')) return true;
        foreach (char c in s)
            if (c < 0x20 || c == 0x7f || c > 0x7e) return true;
        return s.Contains(": ", StringComparison.Ordinal) || s.Contains(" #", StringComparison.Ordinal);
    }

    /// <summary>
    /// Reads one YAML document into a JSON tree: plain scalars are typed as YAML's core schema reads them (null, bool,
    /// integer, float), quoted and block scalars are strings. Mapping keys must be scalars.
    /// </summary>
    public static JsonNode? Read(string yaml, string what)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new KubeException("ClusterObjects.InvalidYaml",
                $"{what} is not valid YAML: {e.Message} (line {e.Start.Line}, column {e.Start.Column}).",
                KubeErrorCategory.InvalidArgument, what, "Fix the YAML; a mapping such as 'mode: ipvs' is expected.", e);
        }
        if (stream.Documents.Count == 0) return null;
        if (stream.Documents.Count > 1)
            throw new KubeException("ClusterObjects.InvalidYaml", $"{what} holds {stream.Documents.Count} YAML documents; one is expected.",
                KubeErrorCategory.InvalidArgument, what, "Remove the '---' separators so that one document remains.");
        return Convert(stream.Documents[0].RootNode, what);
    }

    static JsonNode? Convert(YamlNode node, string what)
    {
        switch (node)
        {
            case YamlMappingNode m:
                var o = new JsonObject();
                foreach (var (k, v) in m.Children)
                {
                    if (k is not YamlScalarNode ks || ks.Value is null)
                        throw new KubeException("ClusterObjects.InvalidYaml", $"{what}: a mapping key at line {k.Start.Line} is not a plain string.",
                            KubeErrorCategory.InvalidArgument, what, "Use string keys.");
                    if (o.ContainsKey(ks.Value))
                        throw new KubeException("ClusterObjects.InvalidYaml", $"{what}: the key '{ks.Value}' appears twice (line {k.Start.Line}).",
                            KubeErrorCategory.InvalidArgument, what, "Give each key once.");
                    o[ks.Value] = Convert(v, what);
                }
                return o;
            case YamlSequenceNode s:
                return new JsonArray(s.Children.Select(c => Convert(c, what)).ToArray());
            case YamlScalarNode sc:
                return TypedScalar(sc);
            default:
                throw new KubeException("ClusterObjects.InvalidYaml", $"{what}: unsupported YAML node at line {node.Start.Line} (aliases are not supported).",
                    KubeErrorCategory.InvalidArgument, what, "Write the value out instead of using an alias.");
        }
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Float();

    static JsonNode? TypedScalar(YamlScalarNode sc)
    {
        string v = sc.Value ?? "";
        if (sc.Style != ScalarStyle.Plain) return JsonValue.Create(v);
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (Integer().IsMatch(v) && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return JsonValue.Create(l);
        if (Float().IsMatch(v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }

    /// <summary>Deep merge: objects merge key by key, anything else in <paramref name="overlay"/> replaces the base value.</summary>
    public static void MergeInto(JsonObject target, JsonObject overlay)
    {
        foreach (var (key, value) in overlay)
        {
            if (value is JsonObject o && target[key] is JsonObject t)
                MergeInto(t, o);
            else
                target[key] = value?.DeepClone();
        }
    }
}
