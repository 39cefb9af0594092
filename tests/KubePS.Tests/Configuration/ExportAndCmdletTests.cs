using System.Xml.Linq;
using KubePS.HelpGen;
using KubePS.Core;
using KubePS.Core.Configuration;
using Xunit;
using static KubePS.Tests.Configuration.ConfigTestSupport;

namespace KubePS.Tests.Configuration;

public class ExportFileTests
{
    static KubeClusterConfiguration Config() => KubeadmConfigFile.Import(Example("kubeadm-config.yaml"));

    [Fact]
    public async Task Export_writes_a_file_that_imports_to_the_same_configuration()
    {
        using var dir = new TempDir();
        var path = dir.File("kubeadm.yaml");
        var sink = new CapturingSink();
        var file = await KubeadmConfigFile.ExportAsync(Config(), path, null, false, false, sink, default);
        Assert.NotNull(file);
        Assert.Equal([path], sink.Questions.Select(q => q.Target));
        AssertSameModel(Config(), KubeadmConfigFile.Import(path));
        Assert.DoesNotContain(sink.Verbose, v => v.Contains("0123456789abcdef"));
    }

    [Fact]
    public async Task A_file_with_a_token_is_readable_by_its_owner_only()
    {
        using var dir = new TempDir();
        var secret = dir.File("with-token.yaml");
        var plain = dir.File("plain.yaml");
        await KubeadmConfigFile.ExportAsync(Config(), secret, null, false, false, new CapturingSink(), default);
        await KubeadmConfigFile.ExportAsync(KubeClusterConfiguration.Create(new NewClusterConfigurationRequest { KubernetesVersion = "1.30" }), plain, null, false, false, new CapturingSink(), default);
        Assert.Equal("600", Run("stat", $"-c %a {secret}").Out.Trim());
        Assert.NotEqual("600", Run("stat", $"-c %a {plain}").Out.Trim());
    }

    [Fact]
    public async Task An_existing_file_is_replaced_only_with_force()
    {
        using var dir = new TempDir();
        var path = dir.File("kubeadm.yaml");
        File.WriteAllText(path, "keep me");
        var e = await Assert.ThrowsAsync<KubeException>(() => KubeadmConfigFile.ExportAsync(Config(), path, null, false, false, new CapturingSink(), default));
        Assert.Equal("Config.FileExists", e.ErrorId);
        Assert.Contains(path, e.Message);
        Assert.Equal("keep me", File.ReadAllText(path));
        await KubeadmConfigFile.ExportAsync(Config(), path, null, true, false, new CapturingSink(), default);
        Assert.StartsWith("apiVersion:", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));   // no temp file left behind
    }

    [Fact]
    public async Task WhatIf_writes_nothing()
    {
        using var dir = new TempDir();
        var path = dir.File("kubeadm.yaml");
        Assert.Null(await KubeadmConfigFile.ExportAsync(Config(), path, null, false, false, new CapturingSink(answer: false), default));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task An_api_version_the_target_cannot_read_fails_before_writing()
    {
        using var dir = new TempDir();
        var path = dir.File("kubeadm.yaml");
        var e = await Assert.ThrowsAsync<KubeException>(() => KubeadmConfigFile.ExportAsync(Config(), path, "v1beta4", false, false, new CapturingSink(), default));
        Assert.Equal("Config.ApiVersionNotSupported", e.ErrorId);
        Assert.Contains("v1beta4", e.Message);
        Assert.Contains("v1beta3", e.RecommendedAction);
        Assert.False(File.Exists(path));
    }
}

/// <summary>
/// The cmdlets' surface as PowerShell sees it, read from the built module with MetadataLoadContext (KubePS.HelpGen's
/// reader): PowerShell's assembly is not loadable in the test process.
/// </summary>
public class ConfigurationCmdletSurfaceTests
{
    static CmdletData Cmdlet(string name)
    {
        using var reader = new CmdletMetadataReader(Path.Combine(RepoRoot, "out", "KubePS", "KubePS.dll"));
        return reader.ReadCmdlets().Single(c => c.Name == name);
    }

    [Fact]
    public void Import_path_binds_from_the_pipeline_by_value_and_by_FullName_or_PSPath()
    {
        var path = Cmdlet("Import-KubeadmConfiguration").Parameters.Single(p => p.Name == "Path");
        var use = Assert.Single(path.Sets);
        Assert.True(use.ValueFromPipeline);
        Assert.True(use.ValueFromPipelineByPropertyName);
        Assert.True(use.Mandatory);
        Assert.Equal(["FullName", "PSPath"], path.Aliases);
    }

    [Fact]
    public void Export_takes_the_configuration_from_the_pipeline_and_supports_WhatIf()
    {
        var export = Cmdlet("Export-KubeadmConfiguration");
        Assert.True(export.SupportsShouldProcess);
        Assert.True(export.Parameters.Single(p => p.Name == "Configuration").Sets.Single().ValueFromPipeline);
        Assert.Equal(["v1beta2", "v1beta3", "v1beta4"], export.Parameters.Single(p => p.Name == "ApiVersion").ValidateSet);
        Assert.Contains("System.String", export.OutputTypes);
    }

    [Fact]
    public void New_declares_its_output_type()
    {
        var n = Cmdlet("New-KubeClusterConfiguration");
        Assert.Contains(typeof(KubeClusterConfiguration).FullName!, n.OutputTypes);
        Assert.Equal(["iptables", "ipvs", "nftables"], n.Parameters.Single(p => p.Name == "KubeProxyMode").ValidateSet);
    }

    [Fact]
    public void The_manifest_exports_the_configuration_cmdlets()
    {
        var psd1 = File.ReadAllText(Path.Combine(RepoRoot, "module", "KubePS", "KubePS.psd1"));
        foreach (var name in new[] { "New-KubeClusterConfiguration", "Import-KubeadmConfiguration", "Export-KubeadmConfiguration" })
            Assert.Contains($"'{name}'", psd1);
    }

    [Fact]
    public void The_format_file_has_a_table_view_for_the_configuration_within_120_columns()
    {
        var doc = XDocument.Load(Path.Combine(RepoRoot, "module", "KubePS", "KubePS.format.ps1xml"));
        var view = doc.Descendants("View").Single(v => (string?)v.Element("Name") == typeof(KubeClusterConfiguration).FullName);
        Assert.Equal(typeof(KubeClusterConfiguration).FullName, (string?)view.Descendants("TypeName").Single());
        var headers = view.Descendants("TableColumnHeader").ToList();
        Assert.Equal(headers.Count, view.Descendants("TableColumnItem").Count());
        int fixedWidth = headers.Sum(h => (int?)h.Element("Width") ?? 0) + headers.Count;
        Assert.True(fixedWidth <= 100, $"fixed columns take {fixedWidth} of 120");
        foreach (var prop in view.Descendants("PropertyName").Select(p => p.Value))
            Assert.NotNull(typeof(KubeClusterConfiguration).GetProperty(prop));
    }
}
