using System.Xml.Linq;

namespace KubePS.HelpGen;

public sealed record HelpExample(string Code, IReadOnlyList<string> Remarks);

/// <summary>The help text of one cmdlet, taken from the C# XML doc comments of its class and properties.</summary>
public sealed record CmdletHelp(string Synopsis, IReadOnlyList<string> Description, IReadOnlyList<HelpExample> Examples,
    IReadOnlyList<string> Notes, IReadOnlyDictionary<string, IReadOnlyList<string>> Parameters);

/// <summary>
/// Reads the compiler's XML documentation file. Conventions for cmdlet classes: &lt;summary&gt; is the synopsis,
/// &lt;remarks&gt; paragraphs the description, each &lt;example&gt; holds &lt;code&gt; and remark paragraphs,
/// &lt;para&gt; elements inside a &lt;summary&gt; of a parameter property are its description paragraphs.
/// </summary>
public sealed class DocComments
{
    readonly Dictionary<string, XElement> _members = new(StringComparer.Ordinal);

    public DocComments(IEnumerable<string> xmlFiles)
    {
        foreach (var f in xmlFiles.Where(File.Exists))
            foreach (var m in XDocument.Load(f).Descendants("member"))
                _members[(string)m.Attribute("name")!] = m;
    }

    public CmdletHelp For(CmdletData cmdlet)
    {
        _members.TryGetValue("T:" + cmdlet.ClassName, out var type);
        string synopsis = Flatten(type?.Element("summary"));
        var description = Paragraphs(type?.Element("remarks"));
        var examples = (type?.Elements("example") ?? []).Select(e => new HelpExample(
            Code(e.Element("code")), Paragraphs(new XElement("x", e.Nodes().Where(n => n is not XElement x || x.Name != "code"))))).ToList();
        var notes = (type?.Elements("note") ?? []).SelectMany(Paragraphs).ToList();
        var parameters = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in cmdlet.Parameters)
        {
            if (_members.TryGetValue($"P:{p.DeclaringType}.{p.Name}", out var pm))
                parameters[p.Name] = Paragraphs(pm.Element("summary"));
        }
        return new CmdletHelp(synopsis, description, examples, notes, parameters);
    }

    static string Code(XElement? code)
    {
        if (code is null) return "";
        var lines = code.Value.Replace("\r", "").Split('\n').ToList();
        while (lines.Count > 0 && string.IsNullOrWhiteSpace(lines[0])) lines.RemoveAt(0);
        while (lines.Count > 0 && string.IsNullOrWhiteSpace(lines[^1])) lines.RemoveAt(lines.Count - 1);
        int indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    /// <summary>One string per &lt;para&gt;; text outside paras is one paragraph of its own.</summary>
    static IReadOnlyList<string> Paragraphs(XElement? e)
    {
        if (e is null) return [];
        var paras = e.Elements("para").Select(Flatten).Where(s => s.Length > 0).ToList();
        if (paras.Count > 0) return paras;
        var all = Flatten(e);
        return all.Length > 0 ? [all] : [];
    }

    static string Flatten(XElement? e)
    {
        if (e is null) return "";
        var parts = e.Nodes().Select(n => n switch
        {
            XText t => t.Value,
            XElement x when x.Name == "c" => x.Value,
            XElement x when x.Name == "see" => ((string?)x.Attribute("cref"))?.Split('.').Last() ?? x.Value,
            XElement x when x.Name == "paramref" => (string?)x.Attribute("name") ?? "",
            XElement x => Flatten(x),
            _ => "",
        });
        return string.Join(" ", string.Concat(parts).Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }
}
