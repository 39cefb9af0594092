using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.Bootstrap;
using KubePS.Core.Cluster;
using KubePS.Core.Configuration;
using KubePS.Core.Preparation;
using KubePS.Core.Workflows.Init;
using KubePS.Core.Workflows.Join;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>
/// Refusals that cmdlets used to decide themselves (where no test reaches without PowerShell), now decided in Core
/// and judged here: each names its stable id, the offending value and what would be valid.
/// </summary>
public sealed class CmdletRefusalTests : IDisposable
{
    readonly TempDir _temp = new();
    string Dir => _temp.Path;
    public void Dispose() => _temp.Dispose();

    // Install-KubeContainerRuntime -RegistryMirror @{ 'docker.io' = @() }
    [Fact]
    public void A_registry_mirror_entry_without_a_url_is_refused_naming_the_registry()
    {
        var o = new ContainerRuntimeOptions { RegistryMirrors = new Dictionary<string, IReadOnlyList<string>> { ["docker.io"] = [] } };
        var e = Assert.ThrowsAny<KubeException>(() => ContainerRuntime.Validate(o));
        Refusal.Names(e, "Preparation.InvalidMirror", "docker.io", "https://mirror.example.com");
        Assert.Equal(KubeErrorCategory.InvalidArgument, e.Category);
    }

    // Install-KubePackage / Update-KubeCluster -Repository ... -Mirror ...
    [Fact]
    public void Repository_and_mirror_together_are_refused_naming_both()
    {
        var e = Assert.Throws<KubeException>(() => KubePackages.RepositoryFor("https://pkgs.example.com", "aliyun", servedByPkgsK8sIo: true));
        Refusal.Names(e, "Packages.ConflictingSources", "aliyun", "-Repository", "-Mirror");
        Assert.Contains("https://pkgs.example.com", e.Message);
    }

    [Fact]
    public void Repository_or_mirror_alone_names_a_repository_with_the_layout_of_the_release()
    {
        Assert.Null(KubePackages.RepositoryFor(null, null, true));
        Assert.Equal(KubePackageRepository.Aliyun, KubePackages.RepositoryFor(null, "Aliyun", true));
        Assert.Equal(KubePackageRepository.AliyunLegacy, KubePackages.RepositoryFor(null, "aliyun", false));
        Assert.Equal(new KubePackageRepository("https://m.example.com", PackageRepositoryLayout.Legacy), KubePackages.RepositoryFor(null, "https://m.example.com", false));
        Assert.Equal(new KubePackageRepository("https://r.example.com", PackageRepositoryLayout.PkgsK8sIo), KubePackages.RepositoryFor("https://r.example.com", null, false));
    }

    // Install-KubePackage -BinaryPath ./bin (a folder lacking kubectl)
    [Fact]
    public void A_binary_folder_lacking_a_binary_is_refused_naming_the_missing_file_and_what_the_folder_has()
    {
        File.WriteAllBytes(Path.Combine(Dir, "kubeadm"), [0x7f, (byte)'E']);
        File.WriteAllBytes(Path.Combine(Dir, "kubelet"), [0x7f, (byte)'E']);
        var e = Assert.Throws<KubeException>(() => KubePackages.ReadBinaries(Dir, ["kubeadm", "kubelet", "kubectl"]));
        Refusal.Names(e, "Packages.MissingBinary", Path.Combine(Dir, "kubectl"), "kubeadm, kubelet, kubectl");
        Assert.Contains("it has kubeadm, kubelet", e.Message);
        Assert.Equal(KubeErrorCategory.ObjectNotFound, e.Category);
    }

    [Fact]
    public void A_binary_folder_holding_the_wanted_binaries_is_read()
    {
        File.WriteAllBytes(Path.Combine(Dir, "kubelet"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(Dir, "kubectl"), [4]);
        var read = KubePackages.ReadBinaries(Dir, ["kubelet", "kubectl"]);
        Assert.Equal([1, 2, 3], read["kubelet"]);
        Assert.Equal([4], read["kubectl"]);
        Assert.Equal(2, read.Count);
    }

    // Install-KubePackage -PackagePath ./pkgs (a folder without .deb or .rpm files)
    [Fact]
    public void A_package_folder_without_deb_or_rpm_files_is_refused_naming_the_path()
    {
        File.WriteAllText(Path.Combine(Dir, "README.txt"), "not a package");
        var e = Assert.Throws<KubeException>(() => KubePackages.ReadPackageFiles([Dir]));
        Refusal.Names(e, "Packages.NoFiles", Dir, ".deb", ".rpm");
        Assert.Equal(KubeErrorCategory.ObjectNotFound, e.Category);
    }

    [Fact]
    public void A_package_folder_yields_its_deb_and_rpm_files_in_ordinal_order()
    {
        File.WriteAllText(Path.Combine(Dir, "kubelet.rpm"), "r");
        File.WriteAllText(Path.Combine(Dir, "kubeadm.deb"), "d");
        File.WriteAllText(Path.Combine(Dir, "notes.txt"), "n");
        var files = KubePackages.ReadPackageFiles([Dir]);
        Assert.Equal(["kubeadm.deb", "kubelet.rpm"], files.Select(f => f.FileName));
        Assert.Empty(KubePackages.ReadPackageFiles([]));
    }

    // Join-KubeNode -DryRun without -OutputPath
    [Theory]
    [InlineData(null)]
    [InlineData("  ")]
    public void A_join_dry_run_without_an_output_folder_is_refused(string? outputPath)
    {
        var e = JoinRequest.RefuseDryRunWithoutFolder(dryRun: true, outputPath);
        Assert.NotNull(e);
        Refusal.Names(e, "Join.OutputPathRequired", "-OutputPath", "-OutputPath ./dryrun");
        Assert.Contains(outputPath is null ? "not given" : "blank", e.Message);
    }

    [Fact]
    public void A_join_dry_run_with_a_folder_or_a_real_join_is_not_refused()
    {
        Assert.Null(JoinRequest.RefuseDryRunWithoutFolder(true, "./dryrun"));
        Assert.Null(JoinRequest.RefuseDryRunWithoutFolder(false, null));
    }

    // $s1, $s2 | Initialize-KubeControlPlane
    [Fact]
    public void A_second_node_piped_to_one_init_is_refused_naming_it_and_the_first()
    {
        Assert.Null(InitWorkflow.RefuseSecondNode(null, "cp1"));
        var e = InitWorkflow.RefuseSecondNode("cp1", "cp2");
        Assert.NotNull(e);
        Refusal.Names(e, "Init.OneNode", "cp2", "Join-KubeNode");
        Assert.Contains("cp1", e.Message);
        Assert.Equal(KubeErrorCategory.InvalidOperation, e.Category);
    }

    static KubeNode Node(string name, bool controlPlane = false)
    {
        var labels = new JsonObject();
        if (controlPlane) labels["node-role.kubernetes.io/control-plane"] = "";
        return KubeNode.FromObject(new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels } });
    }

    static KubeNameFilter Prefix(string prefix) => new(prefix + "*", true, n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    // Get-KubeNode -Name w3, x*
    [Fact]
    public void A_node_name_the_cluster_lacks_is_an_error_naming_it_and_the_nodes_it_has_but_an_unmatched_wildcard_is_not()
    {
        var nodes = new[] { Node("cp1", true), Node("w1"), Node("w2") };
        var result = KubeNodeQuery.Select(nodes, [KubeNameFilter.Exact("w3"), Prefix("x")], "https://10.0.0.1:6443", null);
        var error = Assert.Single(result).Error;
        Assert.NotNull(error);
        Refusal.Names(error, "Cluster.NodeNotFound", "w3", "Get-KubeNode");
        Assert.Contains("https://10.0.0.1:6443", error.Message);
        Assert.Contains("cp1, w1, w2", error.Message);
        Assert.Equal(KubeErrorCategory.ObjectNotFound, error.Category);
    }

    [Fact]
    public void A_node_name_of_another_role_is_reported_with_the_role()
    {
        var workers = new[] { Node("w1") };
        var error = Assert.Single(KubeNodeQuery.Select(workers, [KubeNameFilter.Exact("cp1")], "https://cp:6443", KubePS.Core.Cluster.KubeNodeRole.Worker)).Error;
        Assert.NotNull(error);
        Refusal.Names(error, "Cluster.NodeNotFound", "cp1", "Get-KubeNode");
        Assert.Contains("of role Worker", error.Message);
    }

    [Fact]
    public void Node_names_select_in_their_order_each_node_once_and_no_names_select_all()
    {
        var nodes = new[] { Node("cp1", true), Node("w1"), Node("w2") };
        var byName = KubeNodeQuery.Select(nodes, [KubeNameFilter.Exact("W2"), Prefix("w")], "https://cp:6443", null);
        Assert.All(byName, r => Assert.Null(r.Error));
        Assert.Equal(["w2", "w1"], byName.Select(r => r.Found!.Name));
        Assert.Equal(["cp1", "w1", "w2"], KubeNodeQuery.Select(nodes, null, "https://cp:6443", null).Select(r => r.Found!.Name));
        Assert.Equal(["cp1", "w1", "w2"], KubeNodeQuery.Select(nodes, [], "https://cp:6443", null).Select(r => r.Found!.Name));
    }

    // Get-KubeBootstrapToken abcdef, zzzzzz (only abcdef exists)
    [Fact]
    public void A_token_id_the_cluster_lacks_is_an_error_naming_the_id_and_the_cluster()
    {
        var abcdef = new KubeBootstrapToken(BootstrapTokenString.Parse("abcdef.0123456789abcdef"), null, ["authentication"], [], null);
        var result = BootstrapTokens.Select(["abcdef", "zzzzzz"], [abcdef], "https://10.0.0.1:6443/");
        Assert.Equal(2, result.Count);
        Assert.Same(abcdef, result[0].Found);
        Assert.Null(result[0].Error);
        Assert.Null(result[1].Found);
        Assert.NotNull(result[1].Error);
        Refusal.Names(result[1].Error!, "Token.NotFound", "zzzzzz", "Get-KubeBootstrapToken");
        Assert.Contains("https://10.0.0.1:6443/", result[1].Error!.Message);
        Assert.DoesNotContain("0123456789abcdef", result[1].Error!.Message);
    }
}
