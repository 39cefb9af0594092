using Xunit;
using KubePS.HelpGen;

namespace KubePS.Tests.Pki;

/// <summary>
/// The PKI and kubeconfig cmdlets as PowerShell will see them, read from the built module's attribute data with
/// MetadataLoadContext: exported by the manifest, documented pipelines bind by type, every output type has a view.
/// </summary>
public sealed class PkiCmdletSurfaceTests
{
    static IReadOnlyList<CmdletData> ReadCmdlets()
    {
        var dll = Path.Combine(Repo.Root, "out", "KubePS", "KubePS.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first");
        using var reader = new CmdletMetadataReader(dll);
        return reader.ReadCmdlets();
    }

    static readonly Lazy<IReadOnlyList<CmdletData>> All = new(ReadCmdlets);

    static CmdletData Cmd(string name) => All.Value.Single(c => c.Name == name);

    static ParameterInfoData Param(string cmdlet, string name) => Cmd(cmdlet).Parameters.Single(p => p.Name == name);

    public static readonly string[] Cmdlets =
    [
        "New-KubeCA", "New-KubeCertificate", "New-KubePki", "Export-KubePki", "Import-KubePki",
        "Get-KubeCertificate", "Get-KubeCACertHash", "New-KubeConfig", "Import-KubeConfig",
    ];

    [Fact]
    public void Every_PKI_and_kubeconfig_cmdlet_is_exported_by_the_manifest()
    {
        var psd1 = File.ReadAllText(Path.Combine(Repo.Root, "module", "KubePS", "KubePS.psd1"));
        foreach (var c in Cmdlets)
        {
            Assert.NotNull(Cmd(c));
            Assert.Contains($"'{c}'", psd1);
        }
    }

    [Theory]
    [InlineData("New-KubeCA", "New-KubeCertificate", "CA")]
    [InlineData("New-KubePki", "Export-KubePki", "Pki")]
    [InlineData("New-KubePki", "New-KubeConfig", "Pki")]
    [InlineData("Import-KubePki", "Get-KubeCACertHash", "Pki")]
    [InlineData("New-KubeCA", "Get-KubeCACertHash", "Certificate")]
    public void Documented_pipelines_bind_by_value(string producer, string consumer, string parameter)
    {
        var output = Assert.Single(Cmd(producer).OutputTypes);
        var p = Param(consumer, parameter);
        Assert.Equal(output, p.TypeName);
        Assert.Contains(p.Sets, s => s.ValueFromPipeline);
    }

    [Theory]
    [InlineData("New-KubeConfig")]   // -Path writes a file with a private key or token
    [InlineData("Export-KubePki")]
    public void Cmdlets_that_write_files_support_WhatIf(string cmdlet) => Assert.True(Cmd(cmdlet).SupportsShouldProcess, cmdlet);

    [Fact]
    public void Expiry_rows_filter_on_ResidualTime()
    {
        Assert.Equal("KubePS.Core.Pki.KubeCertificateExpiration", Assert.Single(Cmd("Get-KubeCertificate").OutputTypes));
        Assert.Equal(typeof(TimeSpan), typeof(KubePS.Core.Pki.KubeCertificateExpiration).GetProperty("ResidualTime")!.PropertyType);
    }

    [Fact]
    public void Every_output_type_has_a_table_view()
    {
        var format = File.ReadAllText(Path.Combine(Repo.Root, "module", "KubePS", "KubePS.format.ps1xml"));
        foreach (var c in Cmdlets.Where(c => c is not ("Get-KubeCACertHash" or "Export-KubePki")))
            Assert.Contains($"<TypeName>{Assert.Single(Cmd(c).OutputTypes)}</TypeName>", format);
    }
}
