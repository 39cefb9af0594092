using KubePS.Core.Nodes;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Preflight.Support;
using Xunit;

namespace KubePS.Tests.Preparation;

/// <summary>The image pre-pull: kubeadm's image list (kubeadm-versions.md §1) pulled with crictl, else ctr; present images are skipped.</summary>
public sealed class ImagePullTests
{
    [Fact]
    public void A_control_plane_pulls_kubeadms_seven_images_from_the_mirror()
    {
        var images = ImagePull.ImagesFor(new ImagePullOptions { KubernetesVersion = KubeVersion.Parse("1.30.4"), ImageRepository = "registry.aliyuncs.com/google_containers" });
        Assert.Equal(
        [
            "registry.aliyuncs.com/google_containers/kube-apiserver:v1.30.4",
            "registry.aliyuncs.com/google_containers/kube-controller-manager:v1.30.4",
            "registry.aliyuncs.com/google_containers/kube-scheduler:v1.30.4",
            "registry.aliyuncs.com/google_containers/kube-proxy:v1.30.4",
            "registry.aliyuncs.com/google_containers/coredns:v1.11.1",
            "registry.aliyuncs.com/google_containers/pause:3.9",
            "registry.aliyuncs.com/google_containers/etcd:3.5.12-0",
        ], images);
    }

    [Fact]
    public void A_worker_pulls_kube_proxy_coredns_and_pause_only_and_external_etcd_drops_etcd()
    {
        var worker = ImagePull.ImagesFor(new ImagePullOptions { KubernetesVersion = KubeVersion.Parse("1.30.14"), Role = KubeNodeRole.Worker });
        Assert.Equal(["registry.k8s.io/kube-proxy:v1.30.14", "registry.k8s.io/coredns/coredns:v1.11.3", "registry.k8s.io/pause:3.9"], worker);
        Assert.DoesNotContain(ImagePull.ImagesFor(new ImagePullOptions { ExternalEtcd = true }), i => i.Contains("/etcd:"));
    }

    [Fact]
    public void The_script_pulls_with_crictl_then_ctr_then_docker_and_parses()
    {
        var plan = ImagePull.Render(ProbeOutput.Healthy().Facts(), new ImagePullOptions { KubernetesVersion = KubeVersion.Parse("1.30.4") });
        string s = plan.Step(PreparationSteps.ImagesPull).Script;
        Assert.Contains("crictl --runtime-endpoint \"$endpoint\" pull \"$img\"", s);
        Assert.Contains("-n k8s.io images pull", s);
        Assert.Contains("'registry.k8s.io/etcd:3.5.12-0'", s);
        ToolJudge.AssertBashParses(plan.RenderScript(plan.Steps, []));
    }

    [Fact]
    public async Task Images_are_pulled_once_and_a_second_run_pulls_nothing()
    {
        var shims = PrepNode.DefaultShims();
        shims["crictl"] = """
            args=("$@"); img=${args[-1]}; mkdir -p /var/lib/kubeps-fake-images
            case " $* " in
              *" inspecti "*) [ -e "/var/lib/kubeps-fake-images/${img//\//_}" ] || exit 1 ;;
              *" pull "*) touch "/var/lib/kubeps-fake-images/${img//\//_}" ;;
            esac
            """;
        // A CRI socket file for the script to find (nothing answers on it; crictl is stubbed).
        string setup = "mkdir -p /run/containerd && perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Type => 1, Local => \"/run/containerd/containerd.sock\", Listen => 1) or die $!'";
        await using var node = await PrepNode.StartAsync("img1", setup, shims);
        var transport = node.Transport();
        var facts = await NodeProbe.GatherAsync(transport, null, default);
        var options = new ImagePullOptions { KubernetesVersion = KubeVersion.Parse("1.29.15"), Role = KubeNodeRole.Worker };
        var first = await NodePlanApplier.ApplyAsync(transport, ImagePull.Render(facts, options), new CapturingSink(), default);
        Assert.Equal(["pulled registry.k8s.io/kube-proxy:v1.29.15 (crictl)", "pulled registry.k8s.io/coredns/coredns:v1.11.1 (crictl)", "pulled registry.k8s.io/pause:3.9 (crictl)"],
            Assert.Single(first).Changes);
        var second = await NodePlanApplier.ApplyAsync(transport, ImagePull.Render(facts, options), new CapturingSink(), default);
        Assert.Equal(PreparationStatus.Unchanged, Assert.Single(second).Status);
    }
}
