using System.Reflection;
using System.Text.RegularExpressions;
using KubePS.HelpGen;

namespace KubePS.Tests.Module;

/// <summary>
/// Checks that a documented pipeline binds, the way PowerShell's parameter binder would: each KubePS cmdlet's
/// declared output must bind to the next KubePS cmdlet by value (assignable type) or by property name (a public
/// property named like a ValueFromPipelineByPropertyName parameter or one of its aliases). Filters that pass
/// objects through unchanged (Where-Object, Sort-Object, Select-Object -First/-Last, ForEach-Object {$_}) are
/// looked through; a string or number literal at the head of a pipeline binds to a string parameter by value.
/// </summary>
public static class PipelineBinding
{
    static readonly HashSet<string> PassThrough = new(StringComparer.OrdinalIgnoreCase)
        { "Where-Object", "where", "?", "Sort-Object", "sort", "Tee-Object", "Write-Output" };

    public sealed record Link(string From, string To, string? Problem);

    /// <summary>Pipelines (lists of segments) in a PowerShell code text, one per statement line.</summary>
    public static IEnumerable<List<string>> Pipelines(string code)
    {
        foreach (var raw in code.Replace("`\n", " ").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || line.Length == 0) continue;
            foreach (var statement in SplitTopLevel(line, ';'))
            {
                var segs = SplitTopLevel(statement, '|').Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
                if (segs.Count > 1) yield return segs;
            }
        }
    }

    /// <summary>Every command segment of every statement (pipelines split at top-level '|').</summary>
    public static IEnumerable<string> Segments(string code)
    {
        foreach (var raw in code.Replace("`\n", " ").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || line.Length == 0) continue;
            foreach (var statement in SplitTopLevel(line, ';'))
                foreach (var seg in SplitTopLevel(statement, '|'))
                    if (seg.Trim().Length > 0) yield return seg.Trim();
        }
    }

    static List<string> SplitTopLevel(string text, char sep)
    {
        var parts = new List<string>();
        int depth = 0; char? quote = null; int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote is not null) { if (c == quote) quote = null; continue; }
            if (c is '\'' or '"') quote = c;
            else if (c is '(' or '{' or '[') depth++;
            else if (c is ')' or '}' or ']') depth--;
            else if (c == sep && depth == 0 && !(sep == '|' && i + 1 < text.Length && text[i + 1] == '|')) { parts.Add(text[start..i]); start = i + 1; }
        }
        parts.Add(text[start..]);
        return parts;
    }

    static string CommandName(string segment)
    {
        var s = Regex.Replace(segment.Trim(), @"^\$\w+\s*=\s*", "");
        var m = Regex.Match(s, @"^([A-Za-z]+-[A-Za-z]+|\?|where|sort)\b");
        return m.Success ? m.Groups[1].Value : "";
    }

    /// <summary>
    /// Every link of every pipeline in a code text, following variables: after <c>$x = A ... | B</c>, a pipeline that
    /// starts with <c>$x</c> carries B's output (or A's when B is a pass-through filter).
    /// </summary>
    public static IEnumerable<Link> CheckCode(string code, ModuleFixture module)
    {
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in code.Replace("`\n", " ").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || line.Length == 0) continue;
            foreach (var statement in SplitTopLevel(line, ';'))
            {
                var segs = SplitTopLevel(statement, '|').Select(x => x.Trim()).Where(x => x.Length > 0).ToList();
                if (segs.Count == 0) continue;
                var assign = Regex.Match(segs[0], @"^\$(\w+)\s*=\s*");
                foreach (var link in Check(segs, module, variables)) yield return link;
                if (assign.Success)
                {
                    var last = segs.Select(CommandName).Select(n => n.Length > 0 ? module.Find(n) : null).LastOrDefault(c => c is not null);
                    if (last is not null) variables[assign.Groups[1].Value] = last.Name; else variables.Remove(assign.Groups[1].Value);
                }
            }
        }
    }

    /// <summary>Checks every adjacent KubePS → KubePS link of a pipeline; returns the links checked.</summary>
    public static IEnumerable<Link> Check(List<string> segments, ModuleFixture module, IReadOnlyDictionary<string, string>? variables = null)
    {
        string? producer = null;              // the KubePS cmdlet whose output flows here
        bool literalString = false;
        for (int i = 0; i < segments.Count; i++)
        {
            var seg = segments[i];
            var name = CommandName(seg);
            var cmdlet = name.Length > 0 ? module.Find(name) : null;
            if (i == 0)
            {
                var variable = Regex.Match(seg.Trim(), @"^\$(\w+)$");
                if (cmdlet is not null) producer = cmdlet.Name;
                else if (variable.Success && variables is not null && variables.TryGetValue(variable.Groups[1].Value, out var from)) producer = from;
                else literalString = Regex.IsMatch(seg.Trim(), @"^(('[^']*'|""[^""]*"")\s*,?\s*)+$");
                continue;
            }
            if (PassThrough.Contains(name) || (name.Equals("Select-Object", StringComparison.OrdinalIgnoreCase) && Regex.IsMatch(seg, @"-(First|Last|Skip)\b") && !seg.Contains("-ExpandProperty") && !seg.Contains("-Property")))
                continue;
            if (cmdlet is null) { producer = null; literalString = false; continue; }
            if (producer is not null)
                yield return new Link(producer, cmdlet.Name, Binds(module.Find(producer)!, cmdlet, module));
            else if (literalString)
                yield return new Link("string", cmdlet.Name, BindsString(cmdlet));
            producer = cmdlet.Name;
            literalString = false;
        }
    }

    static string? BindsString(CmdletData to) =>
        to.Parameters.Any(p => p.Sets.Any(s => s.ValueFromPipeline) && (p.TypeName is "System.String" or "System.String[]" or "System.Object" or "System.Object[]"))
            ? null : $"{to.Name} has no string parameter that takes pipeline input by value";

    static string? Binds(CmdletData from, CmdletData to, ModuleFixture module)
    {
        if (from.OutputTypes.Count == 0) return $"{from.Name} declares no [OutputType]";
        foreach (var outName in from.OutputTypes)
        {
            var outType = module.Type(outName);
            if (outType is null) return $"output type {outName} of {from.Name} not found";
            foreach (var p in to.Parameters)
            {
                foreach (var use in p.Sets)
                {
                    if (use.ValueFromPipeline)
                    {
                        var pt = module.Type(p.TypeName.TrimEnd(']', '[')) ?? module.Type(p.TypeName);
                        if (pt is not null && (pt.FullName == "System.Object" || pt.IsAssignableFrom(outType))) return null;
                    }
                    if (use.ValueFromPipelineByPropertyName)
                    {
                        var names = new[] { p.Name }.Concat(p.Aliases);
                        if (names.Any(n => outType.GetProperty(n, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is not null)) return null;
                    }
                }
            }
        }
        return $"{string.Join(", ", from.OutputTypes)} from {from.Name} binds to no parameter of {to.Name} (by value or by property name)";
    }
}
