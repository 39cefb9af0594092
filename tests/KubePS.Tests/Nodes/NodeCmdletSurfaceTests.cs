using System.Xml.Linq;
using KubePS.HelpGen;
using KubePS.Core.Nodes;
using Xunit;

namespace KubePS.Tests.Nodes;

/// <summary>
/// The node cmdlets as PowerShell will see them: read from the built module's KubePS.dll with MetadataLoadContext
/// (attribute data; S.M.A is not loadable in the test process), and from the module's manifest and format file.
/// </summary>
public sealed class NodeCmdletSurfaceTests : IDisposable
{
    static readonly string[] Names = ["New-KubeNodeSession", "Get-KubeNodeSession", "Remove-KubeNodeSession", "Invoke-KubeNodeCommand"];

    readonly CmdletMetadataReader _reader = new(RepoFile("out/KubePS/KubePS.dll"));
    readonly IReadOnlyList<CmdletData> _cmdlets;

    public NodeCmdletSurfaceTests() => _cmdlets = _reader.ReadCmdlets();

    public void Dispose() => _reader.Dispose();

    static string RepoFile(string relative) => Path.Combine(Repo.Root, relative);

    CmdletData Cmdlet(string name) => Assert.Single(_cmdlets, c => c.Name == name);

    [Fact]
    public void Every_node_cmdlet_is_in_the_module_and_exported_by_the_manifest()
    {
        var psd1 = File.ReadAllText(RepoFile("module/KubePS/KubePS.psd1"));
        foreach (var name in Names)
        {
            Cmdlet(name);
            Assert.Contains($"'{name}'", psd1);
        }
    }

    [Fact]
    public void Sessions_and_command_results_have_table_views_named_by_full_type_name()
    {
        var views = XDocument.Load(RepoFile("module/KubePS/KubePS.format.ps1xml")).Descendants("View").ToList();
        foreach (var type in new[] { typeof(KubeNodeSession), typeof(CommandResult), typeof(FileWriteResult) })
        {
            var view = Assert.Single(views, v => (string?)v.Element("Name") == type.FullName);
            Assert.Equal(type.FullName, (string?)view.Descendants("TypeName").Single());
            Assert.Equal(view.Descendants("TableColumnHeader").Count(), view.Descendants("TableColumnItem").Count());
            foreach (var p in view.Descendants("PropertyName")) Assert.NotNull(type.GetProperty(p.Value));
        }
        Assert.Contains("KubePS.Core.Nodes.KubeNodeSession", Cmdlet("New-KubeNodeSession").OutputTypes);
        Assert.Contains("KubePS.Core.Nodes.CommandResult", Cmdlet("Invoke-KubeNodeCommand").OutputTypes);
    }

    [Fact]
    public void Host_names_bind_from_the_pipeline_by_value_and_by_property_name()
    {
        var hostName = Cmdlet("New-KubeNodeSession").Parameters.Single(p => p.Name == "HostName");
        Assert.Equal(3, hostName.Sets.Count);
        Assert.All(hostName.Sets, s => Assert.True(s.ValueFromPipeline && s.ValueFromPipelineByPropertyName));
        Assert.NotNull(typeof(KubeNodeSession).GetProperty("HostName"));   // a session pipes into -HostName by name
        foreach (var name in new[] { "Invoke-KubeNodeCommand", "Remove-KubeNodeSession" })
            Assert.All(Cmdlet(name).Parameters.Single(p => p.Name == "Session").Sets, s => Assert.True(s.ValueFromPipeline));
    }

    [Fact]
    public void Commands_that_change_things_support_WhatIf_and_Confirm()
    {
        Assert.True(Cmdlet("Invoke-KubeNodeCommand").SupportsShouldProcess);
        Assert.True(Cmdlet("Remove-KubeNodeSession").SupportsShouldProcess);
    }

    [Fact]
    public void No_node_cmdlet_has_a_public_property_of_a_KubePS_Core_value_type()
    {
        // PowerShell scans KubePS.dll before the loader can resolve KubePS.Core: such a property breaks Import-Module.
        foreach (var c in Names.Select(Cmdlet))
        {
            var type = _reader.FindType(c.ClassName)!;
            Assert.DoesNotContain(type.GetProperties(), p => p.PropertyType.IsValueType && p.PropertyType.Assembly.GetName().Name == "KubePS.Core");
        }
    }
}
