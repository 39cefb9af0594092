using KubePS.HelpGen;
using KubePS.Tests.Module;
using Xunit;

namespace KubePS.Tests.Join;

/// <summary>Join-KubeNode and the token cmdlets as PowerShell will see them (the built module's metadata), and the pipelines the issue promises.</summary>
public sealed class JoinCmdletSurfaceTests(ModuleFixture module) : IClassFixture<ModuleFixture>
{
    CmdletData Cmdlet(string name) => module.Find(name) ?? throw new Xunit.Sdk.XunitException($"{name} is not in the module");

    void Binds(string code, int links)
    {
        var found = PipelineBinding.CheckCode(code, module).ToList();
        Assert.Equal(links, found.Count);
        Assert.All(found, l => Assert.True(l.Problem is null, $"{l.From} | {l.To}: {l.Problem}"));
    }

    [Fact]
    public void Join_KubeNode_asks_before_changes_and_outputs_a_join_result_per_node()
    {
        var c = Cmdlet("Join-KubeNode");
        Assert.True(c.SupportsShouldProcess);
        Assert.Equal("Medium", c.ConfirmImpact);
        Assert.Equal(["KubePS.Core.Workflows.Join.KubeJoinResult"], c.OutputTypes);
        foreach (var name in new[] { "AsControlPlane", "CertificateKey", "NodeName", "AdvertiseAddress", "ThrottleLimit", "UnsafeSkipCAVerification", "DiscoveryFile",
                     "DryRun", "OutputPath", "Phase", "SkipPhase", "IgnorePreflightErrors", "DiscoveryTimeout" })
            Assert.Contains(c.Parameters, p => p.Name == name);
        foreach (var name in new[] { "New-KubeBootstrapToken", "Get-KubeBootstrapToken", "Remove-KubeBootstrapToken", "Get-KubeJoinCommand", "Publish-KubeControlPlaneCertificate", "Join-KubeNode" })
            Assert.Contains($"'{name}'", module.Manifest);
    }

    [Fact]
    public void A_control_plane_and_sessions_bind_from_the_pipeline_either_way()
    {
        var c = Cmdlet("Join-KubeNode");
        var session = c.Parameters.Single(p => p.Name == "Session");
        Assert.All(session.Sets, s => Assert.True(s.ValueFromPipeline && s.Mandatory));
        var cp = c.Parameters.Single(p => p.Name == "ControlPlane");
        Assert.True(cp.Sets.Single().ValueFromPipeline);
        Assert.Equal("KubePS.Core.Workflows.KubeControlPlane", cp.TypeName);
        // $cp | Join-KubeNode -Session $workers   and   $workers | Join-KubeNode -ControlPlane $cp
        Binds("$cp = Get-KubeNodeSession -HostName cp1 | Initialize-KubeControlPlane\n$cp | Join-KubeNode -Session $w", 2);
        Binds("Get-KubeNodeSession -HostName w1, w2 | Join-KubeNode -ControlPlane $cp", 1);
    }

    [Fact]
    public void A_join_command_binds_its_endpoint_token_pins_role_and_key_by_name()
    {
        var c = Cmdlet("Join-KubeNode");
        foreach (var name in new[] { "ApiServerEndpoint", "Token", "CACertHash" })
            Assert.True(c.Parameters.Single(p => p.Name == name).Sets.Single(s => s.SetName == "Token").ValueFromPipelineByPropertyName, name);
        Assert.Contains("CACertHashes", c.Parameters.Single(p => p.Name == "CACertHash").Aliases);
        Assert.True(c.Parameters.Single(p => p.Name == "AsControlPlane").Sets.Single().ValueFromPipelineByPropertyName);
        Assert.True(c.Parameters.Single(p => p.Name == "CertificateKey").Sets.Single().ValueFromPipelineByPropertyName);
        Binds("Get-KubeJoinCommand | Join-KubeNode -Session $w", 1);
        Binds("New-KubeBootstrapToken | Get-KubeJoinCommand", 1);
        Binds("Publish-KubeControlPlaneCertificate -Path ./pki | Get-KubeJoinCommand -AsControlPlane", 1);
        Binds("Get-KubeBootstrapToken | Remove-KubeBootstrapToken", 1);
    }

    [Fact]
    public void Token_cmdlets_that_change_the_cluster_ask_first()
    {
        Assert.True(Cmdlet("New-KubeBootstrapToken").SupportsShouldProcess);
        Assert.True(Cmdlet("Remove-KubeBootstrapToken").SupportsShouldProcess);
        Assert.True(Cmdlet("Publish-KubeControlPlaneCertificate").SupportsShouldProcess);
        Assert.False(Cmdlet("Get-KubeJoinCommand").SupportsShouldProcess);
        Assert.Equal(["KubePS.Core.Bootstrap.KubeJoinCommand"], Cmdlet("Get-KubeJoinCommand").OutputTypes);
        Assert.Equal(["KubePS.Core.Bootstrap.KubeBootstrapToken"], Cmdlet("Get-KubeBootstrapToken").OutputTypes);
    }
}
