using KubePS.HelpGen;
using KubePS.Tests.Module;
using Xunit;

namespace KubePS.Tests.Init;

/// <summary>Initialize-KubeControlPlane and Connect-KubeCluster as PowerShell will see them (the built module's metadata).</summary>
public sealed class InitCmdletSurfaceTests(ModuleFixture module) : IClassFixture<ModuleFixture>
{
    CmdletData Cmdlet(string name) => module.Find(name) ?? throw new Xunit.Sdk.XunitException($"{name} is not in the module");

    [Fact]
    public void Initialize_KubeControlPlane_asks_before_changes_at_medium_impact_and_outputs_a_control_plane()
    {
        var c = Cmdlet("Initialize-KubeControlPlane");
        Assert.True(c.SupportsShouldProcess);
        Assert.Equal("Medium", c.ConfirmImpact);
        Assert.Equal(["KubePS.Core.Workflows.KubeControlPlane"], c.OutputTypes);
        Assert.Contains("'Initialize-KubeControlPlane'", module.Manifest);
        Assert.Contains("'Connect-KubeCluster'", module.Manifest);
    }

    [Fact]
    public void A_session_binds_from_the_pipeline_and_a_dry_run_needs_no_session()
    {
        var c = Cmdlet("Initialize-KubeControlPlane");
        var session = c.Parameters.Single(p => p.Name == "Session");
        var inSessionSet = session.Sets.Single(s => s.SetName == "Session");
        Assert.True(inSessionSet.Mandatory && inSessionSet.ValueFromPipeline);
        var inDryRunSet = session.Sets.Single(s => s.SetName == "DryRun");
        Assert.False(inDryRunSet.Mandatory);
        Assert.True(inDryRunSet.ValueFromPipeline);
        foreach (var name in new[] { "DryRun", "OutputPath" })
            Assert.True(c.Parameters.Single(p => p.Name == name).Sets.Single().Mandatory);
        foreach (var name in new[] { "Configuration", "Pki", "UploadCerts", "Phase", "SkipPhase", "NodeName", "AdvertiseAddress", "IgnorePreflightErrors" })
            Assert.Contains(c.Parameters, p => p.Name == name);
    }

    [Fact]
    public void Connect_KubeCluster_takes_a_control_plane_from_the_pipeline_or_a_kubeconfig()
    {
        var c = Cmdlet("Connect-KubeCluster");
        Assert.Equal(["KubePS.Core.KubeConfigs.KubeClusterConnection"], c.OutputTypes);
        var cp = c.Parameters.Single(p => p.Name == "ControlPlane");
        Assert.Equal("KubePS.Core.Workflows.KubeControlPlane", cp.TypeName);
        Assert.True(cp.Sets.Single().ValueFromPipeline);
        Assert.True(c.Parameters.Single(p => p.Name == "KubeConfig").Sets.Single().Mandatory);
        // The documented pipeline binds: Initialize-KubeControlPlane | Connect-KubeCluster.
        var links = PipelineBinding.CheckCode("$cp = Get-KubeNodeSession -HostName cp1 | Initialize-KubeControlPlane\n$cp | Connect-KubeCluster", module).ToList();
        Assert.Equal(2, links.Count);
        Assert.All(links, link => Assert.Null(link.Problem));
    }
}
