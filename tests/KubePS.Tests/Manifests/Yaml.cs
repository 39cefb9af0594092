using YamlDotNet.RepresentationModel;

namespace KubePS.Tests.Manifests;

/// <summary>Reads rendered or golden YAML with YamlDotNet's own parser (not KubePS's writer) and walks it by path.</summary>
internal static class Yaml
{
    public static YamlNode Load(string text)
    {
        var s = new YamlStream();
        s.Load(new StringReader(text));
        return s.Documents[0].RootNode;
    }

    public static YamlNode Load(byte[] bytes) => Load(System.Text.Encoding.UTF8.GetString(bytes));

    /// <summary>The node at a dotted path; list items by index ("spec.containers.0.image"). Null when absent.</summary>
    public static YamlNode? At(YamlNode root, string path)
    {
        YamlNode? n = root;
        foreach (var part in path.Split('.'))
        {
            n = n switch
            {
                YamlMappingNode m => m.Children.TryGetValue(new YamlScalarNode(part), out var v) ? v : null,
                YamlSequenceNode s when int.TryParse(part, out int i) && i < s.Children.Count => s.Children[i],
                _ => null,
            };
            if (n is null) return null;
        }
        return n;
    }

    public static string? Str(YamlNode root, string path) => (At(root, path) as YamlScalarNode)?.Value;

    public static IReadOnlyList<string> Strings(YamlNode root, string path) =>
        At(root, path) is YamlSequenceNode s ? s.Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToList() : [];

    public static IReadOnlyList<string> Keys(YamlNode root, string path) =>
        At(root, path) is YamlMappingNode m ? m.Children.Keys.Select(k => ((YamlScalarNode)k).Value ?? "").ToList() : [];

    /// <summary>Structural equality of two YAML trees (maps unordered, lists ordered, scalars by text and plain/quoted style).</summary>
    public static bool Same(YamlNode a, YamlNode b, out string where, string path = "")
    {
        where = path;
        switch (a, b)
        {
            case (YamlScalarNode x, YamlScalarNode y):
                return x.Value == y.Value && (x.Style == YamlDotNet.Core.ScalarStyle.Plain) == (y.Style == YamlDotNet.Core.ScalarStyle.Plain);
            case (YamlSequenceNode x, YamlSequenceNode y):
                if (x.Children.Count != y.Children.Count) return false;
                for (int i = 0; i < x.Children.Count; i++)
                    if (!Same(x.Children[i], y.Children[i], out where, $"{path}.{i}")) return false;
                return true;
            case (YamlMappingNode x, YamlMappingNode y):
                var kx = x.Children.Keys.Select(k => ((YamlScalarNode)k).Value).OrderBy(k => k, StringComparer.Ordinal).ToList();
                var ky = y.Children.Keys.Select(k => ((YamlScalarNode)k).Value).OrderBy(k => k, StringComparer.Ordinal).ToList();
                if (!kx.SequenceEqual(ky)) { where = $"{path} keys [{string.Join(",", kx)}] vs [{string.Join(",", ky)}]"; return false; }
                foreach (var k in kx)
                    if (!Same(x.Children[new YamlScalarNode(k)], y.Children[new YamlScalarNode(k)], out where, $"{path}.{k}")) return false;
                return true;
            default:
                return false;
        }
    }
}
