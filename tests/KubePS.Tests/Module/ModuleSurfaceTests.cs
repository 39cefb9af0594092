using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace KubePS.Tests.Module;

/// <summary>
/// The module as PowerShell will see it, read from the built out/KubePS folder without PowerShell: layout, manifest,
/// verbs, output types, help, format views and the pipelines the README and help promise.
/// </summary>
public sealed class ModuleSurfaceTests(ModuleFixture module) : IClassFixture<ModuleFixture>
{
    static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    [Fact]
    public void Module_folder_has_the_layout_PowerShell_imports()
    {
        foreach (var f in new[] { "KubePS.psd1", "KubePS.dll", "KubePS.Loader.dll", "KubePS.format.ps1xml",
                     "Dependencies/KubePS.Core.dll", "Dependencies/YamlDotNet.dll", "en-US/KubePS.dll-Help.xml", "en-US/about_KubePS.help.txt" })
            Assert.True(File.Exists(Path.Combine(module.Dir, f)), $"missing {f} in {module.Dir}");
        // Core and YamlDotNet must not sit beside KubePS.dll, or they would load into the default context.
        Assert.False(File.Exists(Path.Combine(module.Dir, "KubePS.Core.dll")));
        Assert.False(File.Exists(Path.Combine(module.Dir, "YamlDotNet.dll")));
        Assert.Equal(new Version(16, 0, 0, 0), AssemblyName.GetAssemblyName(Path.Combine(module.Dir, "Dependencies/YamlDotNet.dll")).Version);
    }

    [Fact]
    public void KubePS_dll_never_references_YamlDotNet_and_the_loader_never_references_Core()
    {
        // powershell-facts §1: a YamlDotNet reference from KubePS.dll fails to load; the loader must load before Core exists.
        Assert.DoesNotContain(module.Reader.Module.GetReferencedAssemblies(), a => a.Name == "YamlDotNet");
        var loader = AssemblyName.GetAssemblyName(Path.Combine(module.Dir, "KubePS.Loader.dll"));
        using var mlc = new MetadataLoadContext(new PathAssemblyResolver(
            Directory.GetFiles(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "*.dll").Append(Path.Combine(module.Dir, "KubePS.Loader.dll"))));
        var refs = mlc.LoadFromAssemblyPath(Path.Combine(module.Dir, "KubePS.Loader.dll")).GetReferencedAssemblies();
        Assert.DoesNotContain(refs, a => a.Name is "KubePS.Core" or "YamlDotNet" or "KubePS");
        Assert.Equal("KubePS.Loader", loader.Name);
    }

    [Fact]
    public void Manifest_exports_exactly_the_cmdlets_the_dll_defines()
    {
        // A name in CmdletsToExport with no cmdlet is silently ignored, and a cmdlet left out is not exported (facts §5).
        var block = Regex.Match(module.Manifest, @"CmdletsToExport\s*=\s*@\((?<list>[^)]*)\)", RegexOptions.Singleline);
        Assert.True(block.Success, "CmdletsToExport = @(...) not found in KubePS.psd1");
        var exported = Regex.Matches(block.Groups["list"].Value, @"'([^']+)'").Select(m => m.Groups[1].Value).OrderBy(x => x).ToList();
        var defined = module.Cmdlets.Select(c => c.Name).OrderBy(x => x).ToList();
        Assert.Equal(defined, exported);
        Assert.DoesNotContain("*", block.Groups["list"].Value);
    }

    [Fact]
    public void Manifest_version_is_stamped_from_Directory_Build_props()
    {
        var props = File.ReadAllText(Repo.Path_("Directory.Build.props"));
        var version = Regex.Match(props, "<KubePSVersion>([^<]+)</KubePSVersion>").Groups[1].Value;
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
        Assert.Contains($"ModuleVersion        = '{version}'", module.Manifest);
        Assert.Contains("RootModule           = 'KubePS.dll'", module.Manifest);
        Assert.Contains("NestedModules        = @('KubePS.Loader.dll')", module.Manifest);
        Assert.DoesNotContain("RequiredAssemblies", module.Manifest);
    }

    [Fact]
    public void Every_cmdlet_uses_an_approved_verb()
    {
        // The approved verbs are the constants of PowerShell's Verbs* classes, read from System.Management.Automation.
        var approved = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var cls in new[] { "VerbsCommon", "VerbsData", "VerbsLifecycle", "VerbsDiagnostic", "VerbsCommunications", "VerbsSecurity", "VerbsOther" })
        {
            var t = module.Type("System.Management.Automation." + cls) ?? throw new InvalidOperationException(cls + " not found");
            foreach (var f in t.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
                approved.Add((string)f.GetRawConstantValue()!);
        }
        Assert.Contains("Get", approved);
        Assert.NotEmpty(module.Cmdlets);
        Assert.All(module.Cmdlets, c => Assert.True(approved.Contains(c.Verb), $"{c.Name}: '{c.Verb}' is not an approved verb"));
    }

    [Fact]
    public void Every_cmdlet_declares_its_output_type_and_the_type_has_a_table_view()
    {
        var views = module.Format.Descendants("View").Select(v => (string?)v.Element("ViewSelectedBy")?.Element("TypeName")).ToHashSet();
        foreach (var c in module.Cmdlets)
        {
            Assert.True(c.OutputTypes.Count > 0, $"{c.Name} has no [OutputType]");
            foreach (var o in c.OutputTypes.Where(o => o.StartsWith("KubePS.", StringComparison.Ordinal)))
                Assert.True(views.Contains(o), $"{c.Name} outputs {o}, which has no view in KubePS.format.ps1xml");
        }
    }

    [Fact]
    public void Format_views_are_well_formed_and_name_existing_types()
    {
        // A bad format file fails the whole Import-Module (facts §4).
        foreach (var view in module.Format.Descendants("View"))
        {
            var type = (string)view.Element("ViewSelectedBy")!.Element("TypeName")!;
            Assert.NotNull(module.Type(type));
            var table = view.Element("TableControl");
            Assert.NotNull(table);
            int headers = table!.Element("TableHeaders")!.Elements("TableColumnHeader").Count();
            foreach (var row in table.Descendants("TableColumnItems"))
                Assert.Equal(headers, row.Elements("TableColumnItem").Count());
            // Columns are separated by one space; an unsized last column is counted as 12 wide.
            int width = table.Element("TableHeaders")!.Elements("TableColumnHeader").Sum(h => (int?)h.Element("Width") ?? 12) + headers - 1;
            Assert.True(width <= 120, $"view {type} is {width} columns wide");
            foreach (var prop in table.Descendants("PropertyName").Select(p => p.Value))
                Assert.True(module.Type(type)!.GetProperty(prop) is not null, $"view {type} shows a property {prop} that the type does not have");
        }
        var allowed = new HashSet<string> { "Configuration", "ViewDefinitions", "View", "Name", "ViewSelectedBy", "TypeName", "TableControl", "TableHeaders",
            "TableColumnHeader", "Label", "Width", "Alignment", "TableRowEntries", "TableRowEntry", "TableColumnItems", "TableColumnItem", "PropertyName", "ScriptBlock",
            "FormatString", "GroupBy", "AutoSize", "HideTableHeaders", "Wrap", "ListControl", "ListEntries", "ListEntry", "ListItems", "ListItem" };
        Assert.All(module.Format.Descendants(), e => Assert.Contains(e.Name.LocalName, allowed));
    }

    [Fact]
    public void Every_cmdlet_has_help_with_synopsis_parameter_descriptions_and_an_example()
    {
        Assert.Equal("maml", (string?)module.Maml.Root!.Attribute("schema"));
        var commands = module.Maml.Root.Elements(Command + "command").ToDictionary(c => c.Element(Command + "details")!.Element(Command + "name")!.Value);
        foreach (var c in module.Cmdlets)
        {
            Assert.True(commands.TryGetValue(c.Name, out var help), $"{c.Name} has no MAML entry");
            var synopsis = help!.Element(Command + "details")!.Element(Maml + "description")?.Value.Trim();
            Assert.False(string.IsNullOrEmpty(synopsis), $"{c.Name}: no synopsis");
            Assert.False(string.IsNullOrWhiteSpace(help.Element(Maml + "description")?.Value), $"{c.Name}: no description");
            var documented = help.Element(Command + "parameters")!.Elements(Command + "parameter")
                .ToDictionary(p => p.Element(Maml + "name")!.Value, p => p.Element(Maml + "description")?.Value.Trim() ?? "");
            foreach (var p in c.Parameters)
                Assert.True(documented.TryGetValue(p.Name, out var d) && d.Length > 0, $"{c.Name}: parameter -{p.Name} has no description");
            if (c.SupportsShouldProcess)
                Assert.True(documented.ContainsKey("WhatIf") && documented.ContainsKey("Confirm"), $"{c.Name}: -WhatIf/-Confirm missing from help");
            var examples = help.Element(Command + "examples")!.Elements(Command + "example").ToList();
            Assert.True(examples.Count > 0, $"{c.Name}: no example");
            Assert.All(examples, e =>
            {
                var code = e.Element(Dev + "code")!.Value;
                Assert.Contains(c.Name, code, StringComparison.OrdinalIgnoreCase);
                Assert.False(string.IsNullOrWhiteSpace(e.Element(Dev + "remarks")?.Value), $"{c.Name}: an example without remarks");
            });
            Assert.NotEmpty(help.Element(Command + "syntax")!.Elements(Command + "syntaxItem"));
        }
    }

    [Fact]
    public void Help_examples_use_only_parameters_the_cmdlets_have()
    {
        var commands = module.Maml.Root!.Elements(Command + "command");
        foreach (var code in commands.SelectMany(c => c.Descendants(Dev + "code")).Select(c => c.Value))
            AssertParametersExist(code);
    }

    [Fact]
    public void README_examples_use_only_parameters_the_cmdlets_have()
    {
        foreach (var block in ReadmeBlocks()) AssertParametersExist(block);
    }

    void AssertParametersExist(string code)
    {
        foreach (var seg in PipelineBinding.Segments(code))
            {
                var m = Regex.Match(seg.Trim(), @"^(?:\$\w+\s*=\s*)?(?<cmd>[A-Z][a-z]+-Kube[A-Za-z]+)(?<rest>.*)$");
                if (!m.Success) continue;
                var cmdlet = module.Find(m.Groups["cmd"].Value);
                Assert.True(cmdlet is not null, $"example uses {m.Groups["cmd"].Value}, which the module does not define: {seg}");
                var common = new[] { "WhatIf", "Confirm", "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WarningVariable", "InformationVariable" };
                foreach (Match p in Regex.Matches(StripStrings(m.Groups["rest"].Value), @"(?<=\s)-(?<name>[A-Za-z][A-Za-z0-9]*)"))
                {
                    var name = p.Groups["name"].Value;
                    bool ok = common.Contains(name, StringComparer.OrdinalIgnoreCase)
                        || cmdlet!.Parameters.Any(x => x.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase) || x.Aliases.Contains(name, StringComparer.OrdinalIgnoreCase));
                    Assert.True(ok, $"{cmdlet!.Name} has no parameter -{name}: {seg}");
                }
            }
    }

    static string StripStrings(string s) => Regex.Replace(Regex.Replace(s, @"'[^']*'|""[^""]*""", "''"), @"\{[^}]*\}|\([^)]*\)", "()");

    [Fact]
    public void Every_pipeline_in_the_README_and_the_help_binds()
    {
        var codes = ReadmeBlocks().Concat(module.Maml.Root!.Descendants(Dev + "code").Select(c => c.Value)).ToList();
        var links = codes.SelectMany(c => PipelineBinding.CheckCode(c, module)).ToList();
        Assert.NotEmpty(links);
        var broken = links.Where(l => l.Problem is not null).Select(l => $"{l.From} | {l.To}: {l.Problem}").Distinct().ToList();
        Assert.True(broken.Count == 0, string.Join("\n", broken));
        // The README's own runbook is among what was checked, variables included.
        Assert.Contains(links, l => l.From == "Import-KubeadmConfiguration" && l.To == "New-KubePki");
        Assert.Contains(links, l => l.From == "New-KubePki" && l.To == "New-KubeConfig");
        Assert.Contains(links, l => l.From == "New-KubeNodeSession" && l.To == "Invoke-KubePreflight");
    }

    [Fact]
    public void The_binding_check_refuses_a_pipeline_that_cannot_bind()
    {
        // A KubeImage has nothing Export-KubePki can bind: the checker must say so (or it would pass anything).
        var links = PipelineBinding.CheckCode("Get-KubeImage -Version 1.30 | Export-KubePki -Path ./pki", module).ToList();
        Assert.Contains(links, l => l.Problem is not null);
    }

    static IEnumerable<string> ReadmeBlocks()
    {
        var readme = File.ReadAllText(Repo.Path_("README.md"));
        return Regex.Matches(readme, "```powershell\\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value);
    }
}
