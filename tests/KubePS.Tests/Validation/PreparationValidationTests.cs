using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;
using KubePS.Tests.Infrastructure;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>
/// Install-KubeNodePrerequisite, Install-KubeContainerRuntime and Save-KubeImage refuse bad options before any node is
/// touched (FleetPreparation is what the cmdlets call), naming the value and what would be valid.
/// </summary>
public sealed class PreparationValidationTests
{
    static async Task<(KubeException Error, int Calls, CapturingSink Sink)> Refused(
        Func<IReadOnlyList<KubeNodeSession>, CapturingSink, Task> call)
    {
        var (a, na) = UntouchedNode.Session("n1");
        var (b, nb) = UntouchedNode.Session("n2");
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => call([a, b], sink));
        return (e, na.Calls + nb.Calls, sink);
    }

    static Task<(KubeException Error, int Calls, CapturingSink Sink)> Runtime(ContainerRuntimeOptions o) =>
        Refused((s, sink) => FleetPreparation.InstallContainerRuntimeAsync(s, o, sink));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    [InlineData(100000)]
    public async Task A_bind_port_outside_1_to_65535_is_refused_before_any_node_is_touched(int port)
    {
        var (e, calls, sink) = await Refused((s, sink) => FleetPreparation.InstallPrerequisitesAsync(s, new NodePrerequisiteOptions { BindPort = port }, sink));
        Refusal.Names(e, "Preparation.InvalidPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "1 to 65535");
        Assert.Equal(0, calls);
        Assert.Empty(sink.Questions);
    }

    [Theory]
    [InlineData("docker.io/library")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("registry k8s io")]
    [InlineData("../etc")]
    public async Task A_mirrored_registry_that_is_not_a_host_is_refused_before_any_node_is_touched(string registry)
    {
        var o = new ContainerRuntimeOptions { RegistryMirrors = new Dictionary<string, IReadOnlyList<string>> { [registry] = ["https://mirror.example.com"] } };
        var (e, calls, _) = await Runtime(o);
        Refusal.Single(e, "Preparation.InvalidRegistry");
        Assert.Equal(registry, e.Target);
        Assert.Contains($"'{registry}'", e.Message);
        Assert.Contains("docker.io", e.Message);
        Assert.Contains("host", e.RecommendedAction);
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("mirror.example.com")]
    [InlineData("ftp://mirror.example.com")]
    [InlineData("https://mirror example.com")]
    [InlineData("file:///etc/passwd")]
    public async Task A_mirror_that_is_not_an_http_url_is_refused_before_any_node_is_touched(string mirror)
    {
        var o = new ContainerRuntimeOptions { RegistryMirrors = new Dictionary<string, IReadOnlyList<string>> { ["docker.io"] = ["https://ok.example.com", mirror] } };
        var (e, calls, _) = await Runtime(o);
        Refusal.Names(e, "Preparation.InvalidMirror", mirror, "https://");
        Assert.Contains("docker.io", e.Message);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task A_registry_without_any_mirror_is_refused_before_any_node_is_touched()
    {
        var o = new ContainerRuntimeOptions { RegistryMirrors = new Dictionary<string, IReadOnlyList<string>> { ["quay.io"] = [] } };
        var (e, calls, _) = await Runtime(o);
        Refusal.Names(e, "Preparation.InvalidMirror", "quay.io", "mirror URL");
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.7 .12")]
    [InlineData("1.7.*")]
    [InlineData("1.7'; rm -rf /")]
    public async Task A_containerd_version_that_is_not_a_package_version_is_refused_before_any_node_is_touched(string version)
    {
        var (e, calls, _) = await Runtime(new ContainerRuntimeOptions { Version = version });
        Refusal.Names(e, "Preparation.InvalidVersion", version, "1.7.12");
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("0.3")]
    [InlineData("v0.3.20")]
    [InlineData("latest")]
    public async Task A_cri_dockerd_release_that_is_not_x_y_z_is_refused_before_any_node_is_touched(string version)
    {
        var (e, calls, _) = await Runtime(new ContainerRuntimeOptions { Runtime = ContainerRuntimeKind.Docker, CriDockerdVersion = version });
        Refusal.Names(e, "Preparation.InvalidVersion", version, "x.y.z");
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("github.com/Mirantis/cri-dockerd")]
    [InlineData("")]
    public async Task A_cri_dockerd_base_that_is_not_a_url_is_refused_before_any_node_is_touched(string url)
    {
        var (e, calls, _) = await Runtime(new ContainerRuntimeOptions { Runtime = ContainerRuntimeKind.Docker, CriDockerdBaseUrl = url });
        Refusal.Single(e, "Preparation.InvalidUrl");
        Assert.Contains($"'{url}'", e.Message);
        Assert.Contains("https://", e.RecommendedAction);
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("registry.k8s.io/pause")]
    [InlineData("registry.k8s.io/pause: 3.9")]
    public async Task A_sandbox_image_without_a_tag_is_refused_before_any_node_is_touched(string image)
    {
        var (e, calls, _) = await Runtime(new ContainerRuntimeOptions { SandboxImage = image });
        Refusal.Names(e, "Preparation.InvalidImage", image, "registry.k8s.io/pause:3.9");
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(0)]
    public async Task A_containerd_config_version_other_than_2_or_3_is_refused_before_any_node_is_touched(int version)
    {
        var (e, calls, _) = await Runtime(new ContainerRuntimeOptions { ContainerdConfigVersion = version });
        Refusal.Names(e, "Preparation.InvalidContainerdConfigVersion", version.ToString(System.Globalization.CultureInfo.InvariantCulture), "2", "3");
        Assert.Contains("valid are 2", e.Message);
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("registry.example.com/app:1 ")]
    [InlineData("my image:1.0")]
    [InlineData("")]
    [InlineData("registry.example.com/app:1\n--insecure")]
    public async Task An_extra_image_that_is_not_a_reference_is_refused_before_any_node_is_touched(string image)
    {
        // Found by this test: the image list was only checked while rendering each node's plan, after its probe.
        var (e, calls, sink) = await Refused((s, sink) => FleetPreparation.PullImagesAsync(s, new ImagePullOptions { ExtraImages = ["registry.k8s.io/pause:3.10", image] }, sink));
        Refusal.Names(e, "Preparation.InvalidImage", image, "registry.k8s.io/pause:3.9");
        Assert.Equal(0, calls);
        Assert.Empty(sink.Errors);
    }

    [Theory]
    [InlineData("var/run/containerd/containerd.sock")]
    [InlineData("tcp://10.0.0.1:2375")]
    [InlineData("unix://")]
    [InlineData("npipe:////./pipe/containerd")]
    public async Task A_cri_socket_that_is_not_a_unix_socket_is_refused_before_any_node_is_touched(string socket)
    {
        var (e, calls, _) = await Refused((s, sink) => FleetPreparation.PullImagesAsync(s, new ImagePullOptions { CriSocket = socket }, sink));
        Refusal.Names(e, "Node.InvalidCriSocket", socket, "unix:///var/run/containerd/containerd.sock");
        Assert.Equal(0, calls);
    }
}
