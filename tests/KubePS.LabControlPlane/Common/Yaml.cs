using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KubePS.LabControlPlane.Common;

/// <summary>YAML documents as JSON trees, which is how Kubernetes itself treats YAML (sigs.k8s.io/yaml).</summary>
public static class Yaml
{
    public static JsonNode? Parse(string text)
    {
        var t = text.TrimStart();
        if (t.StartsWith('{') || t.StartsWith('['))
        {
            try { return JsonNode.Parse(text); } catch (System.Text.Json.JsonException) { /* flow YAML, not JSON */ }
        }
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new FormatException("invalid YAML: " + e.Message, e); }
        if (stream.Documents.Count == 0) return null;
        return Convert(stream.Documents[0].RootNode);
    }

    public static JsonObject ParseObject(string text, string what) =>
        Parse(text) as JsonObject ?? throw new FormatException($"{what}: not a YAML/JSON mapping");

    static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var o = new JsonObject();
                foreach (var (k, v) in map.Children)
                    o[((YamlScalarNode)k).Value ?? ""] = Convert(v);
                return o;
            case YamlSequenceNode seq:
                var a = new JsonArray();
                foreach (var c in seq.Children) a.Add(Convert(c));
                return a;
            case YamlScalarNode s:
                var value = s.Value ?? "";
                if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
                    return JsonValue.Create(value);
                if (value is "" or "~" or "null" or "Null" or "NULL") return null;
                if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
                if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
                if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
                if (System.Text.RegularExpressions.Regex.IsMatch(value, @"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")
                    && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
                return JsonValue.Create(value);
            default:
                return null;
        }
    }

    /// <summary>Block-style YAML for a JSON tree (used for the kubeconfig files the kubelet writes).</summary>
    public static string Emit(JsonNode? node)
    {
        var sb = new StringBuilder();
        EmitNode(sb, node, 0, inSequence: false);
        return sb.ToString();
    }

    static void EmitNode(StringBuilder sb, JsonNode? node, int indent, bool inSequence)
    {
        var pad = new string(' ', indent);
        switch (node)
        {
            case JsonObject o when o.Count > 0:
                bool first = true;
                foreach (var (k, v) in o)
                {
                    if (!(first && inSequence)) sb.Append(pad);
                    first = false;
                    sb.Append(Scalar(k)).Append(':');
                    WriteValue(sb, v, indent);
                }
                break;
            case JsonArray a when a.Count > 0:
                foreach (var item in a)
                {
                    sb.Append(pad).Append("- ");
                    if (item is JsonObject io && io.Count > 0) EmitNode(sb, item, indent + 2, inSequence: true);
                    else { sb.Append(ScalarOf(item)).Append('\n'); }
                }
                break;
            default:
                sb.Append(pad).Append(ScalarOf(node)).Append('\n');
                break;
        }
    }

    static void WriteValue(StringBuilder sb, JsonNode? v, int indent)
    {
        if (v is JsonObject vo && vo.Count > 0) { sb.Append('\n'); EmitNode(sb, v, indent + 2, false); }
        else if (v is JsonArray va && va.Count > 0) { sb.Append('\n'); EmitNode(sb, v, indent, false); }
        else sb.Append(' ').Append(ScalarOf(v)).Append('\n');
    }

    static string ScalarOf(JsonNode? n) => n switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.TryGetValue<string>(out var s) => Scalar(s),
        _ => n.ToJsonString(),
    };

    static string Scalar(string s)
    {
        bool plain = s.Length > 0
            && System.Text.RegularExpressions.Regex.IsMatch(s, @"^[A-Za-z0-9_./][A-Za-z0-9_./:@=+-]*$")
            && !s.EndsWith(':')
            && Parse(s) is JsonValue pv && pv.TryGetValue<string>(out _);
        return plain ? s : System.Text.Json.JsonSerializer.Serialize(s);
    }
}
