using System.Xml.Linq;

namespace KubePS.HelpGen;

/// <summary>Writes PowerShell MAML help (shared/powershell-facts.md §3) from cmdlet metadata and doc comments.</summary>
public static class MamlWriter
{
    static readonly XNamespace Msh = "http://msh";
    static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static XDocument Write(IEnumerable<(CmdletData Cmdlet, CmdletHelp Help)> cmdlets)
    {
        var root = new XElement(Msh + "helpItems", new XAttribute("schema", "maml"));
        foreach (var (c, h) in cmdlets) root.Add(Command_(c, h));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    static XElement Paras(IEnumerable<string> paras) => new(Maml + "description", paras.Select(p => new XElement(Maml + "para", p)));

    static IEnumerable<(string Name, string Type, string Display, bool Switch, ParameterSetUse Use, IReadOnlyList<string> Desc, bool Pipeline, IReadOnlyList<string> Aliases)> Params(CmdletData c, CmdletHelp h, string set)
    {
        foreach (var (p, use) in c.InSet(set).OrderBy(x => x.Use.Position < 0 ? int.MaxValue : x.Use.Position).ThenBy(x => x.Use.Mandatory ? 0 : 1))
            yield return (p.Name, p.TypeName, p.TypeDisplay, p.IsSwitch, use, h.Parameters.TryGetValue(p.Name, out var d) ? d : [], false, p.Aliases);
        if (c.SupportsShouldProcess)
        {
            yield return ("WhatIf", "System.Management.Automation.SwitchParameter", "SwitchParameter", true, new ParameterSetUse(set, false, int.MinValue, false, false),
                ["Shows what would change on each node or in the cluster, and changes nothing."], false, ["wi"]);
            yield return ("Confirm", "System.Management.Automation.SwitchParameter", "SwitchParameter", true, new ParameterSetUse(set, false, int.MinValue, false, false),
                ["Asks for confirmation before each change."], false, ["cf"]);
        }
    }

    static string PositionText(ParameterSetUse u) => u.Position < 0 ? "named" : u.Position.ToString();

    static string PipelineText(ParameterSetUse u) => (u.ValueFromPipeline, u.ValueFromPipelineByPropertyName) switch
    {
        (true, true) => "True (ByValue, ByPropertyName)",
        (true, false) => "True (ByValue)",
        (false, true) => "True (ByPropertyName)",
        _ => "False",
    };

    static XElement Command_(CmdletData c, CmdletHelp h)
    {
        var cmd = new XElement(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml), new XAttribute(XNamespace.Xmlns + "command", Command), new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XElement(Command + "details",
                new XElement(Command + "name", c.Name),
                new XElement(Command + "verb", c.Verb),
                new XElement(Command + "noun", c.Noun),
                Paras([h.Synopsis])),
            Paras(h.Description));

        var syntax = new XElement(Command + "syntax");
        var sets = c.ParameterSetNames.OrderBy(s => s == c.DefaultParameterSetName ? 0 : 1).ToList();
        foreach (var set in sets)
        {
            var item = new XElement(Command + "syntaxItem", new XElement(Maml + "name", c.Name));
            foreach (var p in Params(c, h, set))
                item.Add(new XElement(Command + "parameter",
                    new XAttribute("required", p.Use.Mandatory ? "true" : "false"), new XAttribute("position", PositionText(p.Use)),
                    new XElement(Maml + "name", p.Name),
                    p.Switch ? null : new XElement(Command + "parameterValue", new XAttribute("required", "true"), p.Display)));
            syntax.Add(item);
        }
        cmd.Add(syntax);

        var parameters = new XElement(Command + "parameters");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var set in sets)
            foreach (var p in Params(c, h, set))
            {
                if (!seen.Add(p.Name)) continue;
                // Mandatory/position/pipeline may differ by set: describe the most permissive use.
                var uses = c.Parameters.FirstOrDefault(x => x.Name == p.Name)?.Sets ?? [p.Use];
                var use = new ParameterSetUse(set, uses.All(u => u.Mandatory), uses.Select(u => u.Position).Max(),
                    uses.Any(u => u.ValueFromPipeline), uses.Any(u => u.ValueFromPipelineByPropertyName));
                parameters.Add(new XElement(Command + "parameter",
                    new XAttribute("required", use.Mandatory ? "true" : "false"), new XAttribute("position", PositionText(use)),
                    new XAttribute("pipelineInput", PipelineText(use)), new XAttribute("globbing", "false"),
                    new XAttribute("aliases", p.Aliases.Count == 0 ? "none" : string.Join(", ", p.Aliases)),
                    new XElement(Maml + "name", p.Name),
                    Paras(p.Desc),
                    new XElement(Command + "parameterValue", new XAttribute("required", p.Switch ? "false" : "true"), p.Display),
                    new XElement(Dev + "type", new XElement(Maml + "name", p.Type)),
                    new XElement(Dev + "defaultValue", p.Switch ? "False" : "None")));
            }
        cmd.Add(parameters);

        var inputs = c.Parameters.Where(p => p.Sets.Any(s => s.ValueFromPipeline || s.ValueFromPipelineByPropertyName))
            .Select(p => (p.TypeName, p.Sets.Any(s => s.ValueFromPipeline) ? $"-{p.Name} from the pipeline" : $"-{p.Name} by property name")).ToList();
        cmd.Add(new XElement(Command + "inputTypes", inputs.Count == 0
            ? [new XElement(Command + "inputType", new XElement(Dev + "type", new XElement(Maml + "name", "None")), Paras(["This cmdlet takes no pipeline input."]))]
            : inputs.Select(i => new XElement(Command + "inputType", new XElement(Dev + "type", new XElement(Maml + "name", i.TypeName)), Paras([i.Item2])))));
        cmd.Add(new XElement(Command + "returnValues", c.OutputTypes.Select(o =>
            new XElement(Command + "returnValue", new XElement(Dev + "type", new XElement(Maml + "name", o)), Paras([])))));
        if (h.Notes.Count > 0)
            cmd.Add(new XElement(Maml + "alertSet", new XElement(Maml + "alert", h.Notes.Select(n => new XElement(Maml + "para", n)))));

        var examples = new XElement(Command + "examples");
        int i = 1;
        foreach (var e in h.Examples)
            examples.Add(new XElement(Command + "example",
                new XElement(Maml + "title", $"-------------------------- Example {i++} --------------------------"),
                new XElement(Dev + "code", e.Code),
                new XElement(Dev + "remarks", e.Remarks.Select(r => new XElement(Maml + "para", r)))));
        cmd.Add(examples);
        cmd.Add(new XElement(Command + "relatedLinks", new XElement(Maml + "navigationLink", new XElement(Maml + "linkText", "about_KubePS"))));
        return cmd;
    }
}
