using KubePS.Core.Nodes;
using KubePS.Core.Workflows;
using KubePS.Core.Workflows.Join;
using Xunit;
using InitSupport = KubePS.Tests.Init.InitTestSupport;

namespace KubePS.Tests.Join;

/// <summary>
/// kubeadm 1.18–1.21 join a control plane with the phase control-plane-join/update-status: the new node's API endpoint
/// goes into kubeadm-config's ClusterStatus beside the others. Judged on a dry-run 1.18 init and control-plane join
/// (the cluster folder's kubeadm-config read by PyYAML); a worker and a 1.22+ cluster have no such phase.
/// </summary>
public sealed class JoinUpdateStatusTests
{
    const string V118Ha = InitSupport.V118 + "\ncontrolPlaneEndpoint: 192.168.10.11:6443\n";

    static KubeNodeSession Named(string host) => new(host, NodeTransportKind.DryRun, new DryRunTransport(host, Path.GetTempPath()));

    [Fact]
    public async Task A_1_18_control_plane_join_adds_its_API_endpoint_to_ClusterStatus_and_keeps_the_rest()
    {
        var dir = InitSupport.TempDir();
        try
        {
            var cp = await InitSupport.DryRunAsync(V118Ha, dir, tweak: r => r with { UploadCerts = true });
            var kubeadmConfig = Path.Combine(dir, "cluster", "configmap-kube-system-kubeadm-config.yaml");
            var before = InitSupport.PyYaml(kubeadmConfig);
            JoinRequest Request(bool controlPlane, string? address) =>
                new() { ControlPlane = cp, AsControlPlane = controlPlane, AdvertiseAddress = address, DryRunPath = dir };

            var sink = new CapturingSink();
            var joined = (await JoinWorkflow.RunAsync([Named("cp2")], Request(true, "192.168.10.12"), sink, CancellationToken.None)).Single();
            Assert.Empty(sink.Errors);
            var after = InitSupport.PyYaml(kubeadmConfig);
            var status = InitSupport.PyYamlText((string)after["data"]!["ClusterStatus"]!);
            Assert.Equal("ClusterStatus", (string?)status["kind"]);
            Assert.Equal("kubeadm.k8s.io/v1beta2", (string?)status["apiVersion"]);
            var endpoints = status["apiEndpoints"]!.AsObject();
            Assert.Equal(["cp2", "master"], endpoints.Select(e => e.Key).Order(StringComparer.Ordinal));
            Assert.Equal("192.168.10.11", (string?)endpoints["master"]!["advertiseAddress"]);
            Assert.Equal("192.168.10.12", (string?)endpoints["cp2"]!["advertiseAddress"]);
            Assert.Equal(6443, (int?)endpoints["cp2"]!["bindPort"]);
            Assert.Equal((string?)before["data"]!["ClusterConfiguration"], (string?)after["data"]!["ClusterConfiguration"]);
            Assert.Contains(joined.Changes, c => c.Phase == "control-plane-join/update-status" && c.Action.Contains("kubeadm-config"));
            Assert.Equal(PhaseStatus.Completed, joined.Phases.Single(p => p.Name == "control-plane-join/update-status").Status);

            // The same join again finds its entry there; a worker has no such phase.
            var again = (await JoinWorkflow.RunAsync([Named("cp2")], Request(true, "192.168.10.12"), new CapturingSink(), CancellationToken.None)).Single();
            Assert.DoesNotContain(again.Changes, c => c.Phase == "control-plane-join/update-status" && c.Applied);
            var worker = (await JoinWorkflow.RunAsync([Named("w1")], Request(false, null), new CapturingSink(), CancellationToken.None)).Single();
            Assert.Equal(PhaseStatus.NotApplicable, worker.Phases.Single(p => p.Name == "control-plane-join/update-status").Status);
            Assert.Equal(["cp2", "master"], InitSupport.PyYamlText((string)InitSupport.PyYaml(kubeadmConfig)["data"]!["ClusterStatus"]!)["apiEndpoints"]!
                .AsObject().Select(e => e.Key).Order(StringComparer.Ordinal));
        }
        finally
        {
            InitSupport.Delete(dir);
        }
    }
}
