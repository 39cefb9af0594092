using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace KubePS.Tests.Preflight;

/// <summary>
/// The surface of this area's cmdlets, read from attribute data (PowerShellStandard's attribute objects are hollow in
/// tests): exported by the manifest, SupportsShouldProcess where they change nodes, sessions from the pipeline, no Core
/// value type in a cmdlet field (that breaks Import-Module, powershell-facts.md §1), help with examples in the MAML.
/// </summary>
public sealed class CmdletSurfaceTests
{
    static readonly string[] Mine = ["Invoke-KubePreflight", "Get-KubeNodeInfo", "Install-KubeNodePrerequisite", "Install-KubeContainerRuntime", "Install-KubePackage", "Save-KubeImage"];
    static readonly string[] ReadOnly = ["Get-KubeNodeInfo"];

    static string ModuleDll => Path.Combine(RepoRoot(), "out/KubePS/KubePS.dll");

    static Dictionary<string, KubePS.HelpGen.CmdletData> Cmdlets()
    {
        using var reader = new KubePS.HelpGen.CmdletMetadataReader(ModuleDll);
        return reader.ReadCmdlets().ToDictionary(c => c.Name);
    }

    static string RepoRoot() => Repo.Root;

    [Fact]
    public void The_manifest_exports_every_cmdlet_of_this_area()
    {
        string psd1 = File.ReadAllText(Path.Combine(RepoRoot(), "module/KubePS/KubePS.psd1"));
        var exported = Regex.Matches(psd1, @"'([A-Z][a-z]+-Kube[A-Za-z]+)'").Select(m => m.Groups[1].Value).ToHashSet();
        var cmdlets = Cmdlets();
        foreach (var name in Mine)
        {
            Assert.True(cmdlets.ContainsKey(name), $"{name} has no cmdlet class");
            Assert.Contains(name, exported);
        }
    }

    [Fact]
    public void Cmdlets_that_change_nodes_support_ShouldProcess_and_take_sessions_from_the_pipeline()
    {
        foreach (var (name, c) in Cmdlets().Where(c => Mine.Contains(c.Key)))
        {
            Assert.True(c.SupportsShouldProcess != ReadOnly.Contains(name), $"{name}: SupportsShouldProcess = {c.SupportsShouldProcess}");
            var session = c.Parameters.Single(p => p.Name == "Session");
            Assert.All(session.Sets, s => Assert.True(s.ValueFromPipeline && s.Mandatory));
            Assert.EndsWith("KubeNodeSession[]", session.TypeName);
            Assert.NotEmpty(c.OutputTypes);
        }
    }

    [Fact]
    public void Every_cmdlet_of_this_area_takes_a_ThrottleLimit_for_its_parallel_nodes()
    {
        foreach (var (name, c) in Cmdlets().Where(c => Mine.Contains(c.Key)))
        {
            var throttle = c.Parameters.SingleOrDefault(p => p.Name == "ThrottleLimit");
            Assert.True(throttle is not null, $"{name} has no -ThrottleLimit");
            Assert.Equal("System.Int32", throttle!.TypeName);
        }
    }

    [Fact]
    public void No_cmdlet_field_has_a_Core_value_type()
    {
        using var reader = new KubePS.HelpGen.CmdletMetadataReader(ModuleDll);
        foreach (var c in reader.ReadCmdlets().Where(c => Mine.Contains(c.Name)))
        {
            var type = reader.FindType(c.ClassName)!;
            foreach (var f in type.GetFields(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
                Assert.False(f.FieldType.IsValueType && f.FieldType.Assembly.GetName().Name == "KubePS.Core", $"{c.Name}.{f.Name} is a {f.FieldType}");
        }
    }

    [Fact]
    public void The_generated_help_has_a_synopsis_examples_and_every_parameter()
    {
        var maml = XDocument.Load(Path.Combine(RepoRoot(), "out/KubePS/en-US/KubePS.dll-Help.xml"));
        XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10", maml2 = "http://schemas.microsoft.com/maml/2004/10";
        foreach (var name in Mine)
        {
            var c = maml.Descendants(command + "command").Single(e => e.Element(command + "details")!.Element(command + "name")!.Value == name);
            Assert.NotEmpty(c.Element(command + "details")!.Element(maml2 + "description")!.Value.Trim());
            Assert.NotEmpty(c.Descendants(command + "example"));
            foreach (var p in Cmdlets()[name].Parameters)
                Assert.Contains(c.Element(command + "parameters")!.Elements(command + "parameter"),
                    e => e.Element(maml2 + "name")!.Value == p.Name && e.Element(maml2 + "description")!.Value.Trim().Length > 0);
        }
    }

    [Fact]
    public void The_format_file_has_a_view_for_each_output_type_within_120_columns()
    {
        var doc = XDocument.Load(Path.Combine(RepoRoot(), "module/KubePS/KubePS.format.ps1xml"));
        foreach (var type in new[] { "KubePS.Core.Preflight.KubePreflightResult", "KubePS.Core.Preparation.KubePreparationResult", "KubePS.Core.Nodes.NodeFacts" })
        {
            var view = doc.Descendants("View").Single(v => v.Element("Name")!.Value == type);
            var widths = view.Descendants("TableColumnHeader").Select(h => (int?)h.Element("Width")).ToList();
            Assert.Equal(view.Descendants("TableColumnItem").Count(), widths.Count);
            Assert.True(widths.Sum(w => (w ?? 10) + 1) <= 120, $"{type} is wider than 120 columns");
        }
    }
}
