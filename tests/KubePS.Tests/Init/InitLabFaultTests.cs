using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Workflows.Init;
using KubePS.Tests.Lab;
using Xunit;
using Xunit.Abstractions;

namespace KubePS.Tests.Init;

/// <summary>
/// Faults during init on real lab nodes: each failure is clear (its id, the phase and the node, what to look at), leaves
/// the node with whole files only, and an init that stopped half-way finishes when run again.
/// </summary>
[Collection(InitLabCollection.Name)]
public sealed class InitLabFaultTests(InitLabFixture fx, ITestOutputHelper output)
{
    NodeLab Lab => fx.Lab;

    async Task<string> Exec(LabNode node, string script) => (await Lab.ExecAsync(node, script)).EnsureSuccess(script).Output;

    [Fact]
    public async Task An_init_interrupted_after_control_plane_finishes_when_run_again()
    {
        var node = Lab.Nodes[1];
        var sink = new CapturingSink
        {
            // The node goes away (its sshd, and with it every process and connection of the node) just as kubelet-start begins.
            OnQuestion = async (_, action) => { if (action.StartsWith("[kubelet-start]")) await Lab.KillSshdAsync(node); },
        };
        await using (var session = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(node)))
        {
            var e = await Assert.ThrowsAnyAsync<KubeException>(() => InitWorkflow.RunAsync(session, fx.Request(1), sink, CancellationToken.None));
            output.WriteLine(e.Message);
            Assert.Contains(e.ErrorId, new[] { "Node.ConnectionLost", "Node.Unreachable" });
            Assert.StartsWith($"phase kubelet-start on {node.Address}: ", e.Message);
        }
        await Lab.RestartNodeAsync(node);
        await fx.SetUpAsync(node);
        var ca = await Exec(node, "cat /etc/kubernetes/pki/ca.crt");
        Assert.Equal("absent", (await Exec(node, "[ -e /var/lib/kubelet/config.yaml ] && echo present || echo absent")).Trim());

        await using var again = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(node));
        var cp = await InitWorkflow.RunAsync(again, fx.Request(1), new CapturingSink(), CancellationToken.None);
        // It went on where it stopped: no certificate, kubeconfig or manifest was made again.
        Assert.Equal(ca, await Exec(node, "cat /etc/kubernetes/pki/ca.crt"));
        Assert.DoesNotContain(cp.Changes, c => c.Phase.StartsWith("certs/") || c.Phase.StartsWith("kubeconfig/") || c.Phase.StartsWith("control-plane/") || c.Phase == "etcd/local");
        Assert.Contains(cp.Changes, c => c.Phase == "kubelet-start");
        Assert.Contains(cp.Changes, c => c.Phase == "mark-control-plane");
        var node2 = Infrastructure.Tool.Run("kubectl", ["--kubeconfig", node.UpperPath("/etc/kubernetes/admin.conf"), "get", "node", "n2", "-o", "json"],
            env: new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent" });
        Assert.True(node2.ExitCode == 0, node2.Error);
        Assert.Contains(JsonNode.Parse(node2.Output)!["status"]!["conditions"]!.AsArray(), c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True");
    }

    [Fact]
    public async Task Port_6443_in_use_stops_init_at_preflight_and_nothing_is_written()
    {
        var node = Lab.Nodes[2];
        var before = await Exec(node, "find /etc/kubernetes /var/lib/kubelet -type f 2>/dev/null | sort; true");
        await Exec(node, "setsid python3 -c 'import socket,time; s=socket.socket(); s.bind((\"0.0.0.0\", 6443)); s.listen(); open(\"/tmp/port-6443\", \"w\").close(); time.sleep(300)' </dev/null >/dev/null 2>&1 & echo $! > /tmp/port-6443.pid; "
                         + "for i in $(seq 100); do [ -e /tmp/port-6443 ] && break; sleep 0.05; done");
        try
        {
            var e = await Assert.ThrowsAnyAsync<KubeException>(() => InitWorkflow.RunAsync(fx.Sessions[2], fx.Request(2), new CapturingSink(), CancellationToken.None));
            output.WriteLine(e.Message);
            Assert.Equal("Preflight.Failed", e.ErrorId);
            Assert.StartsWith($"phase preflight on {node.Address}: ", e.Message);
            Assert.Contains("[Port-6443]", e.Message);
            Assert.Contains("Port-6443", e.RecommendedAction);
        }
        finally
        {
            await Exec(node, "kill $(cat /tmp/port-6443.pid) 2>/dev/null; rm -f /tmp/port-6443 /tmp/port-6443.pid; true");
        }
        Assert.Equal(before, await Exec(node, "find /etc/kubernetes /var/lib/kubelet -type f 2>/dev/null | sort; true"));
    }

    [Fact]
    public async Task A_node_unreachable_mid_way_is_Node_ConnectionLost_naming_the_phase_and_a_re_run_finishes_the_phases()
    {
        var node = Lab.Nodes[2];
        // Keepalives every second: the cut link is noticed in seconds.
        await using var fast = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(node) with { SshOptions = ["ServerAliveInterval=1"] });
        var sink = new CapturingSink { OnQuestion = async (_, action) => { if (action.StartsWith("[certs/apiserver]")) await Lab.CutLinkAsync(node); } };
        var request = fx.Request(2) with { Phases = ["certs"] };
        try
        {
            var e = await Assert.ThrowsAnyAsync<KubeException>(() => InitWorkflow.RunAsync(fast, request, sink, CancellationToken.None));
            output.WriteLine(e.Message);
            Assert.Contains(e.ErrorId, new[] { "Node.ConnectionLost", "Node.Unreachable", "Node.CommandTimeout" });
            Assert.StartsWith($"phase certs/apiserver on {node.Address}: ", e.Message);
        }
        finally
        {
            await Lab.RestoreLinkAsync(node);
        }
        // Whole files only: each certificate on the node parses, each key matches its certificate.
        var check = await Exec(node, """
            cd /etc/kubernetes/pki
            for c in $(find . -name '*.crt'); do
              openssl x509 -in "$c" -noout || exit 1
              [ "$(openssl x509 -in "$c" -noout -pubkey)" = "$(openssl pkey -in "${c%.crt}.key" -pubout)" ] || { echo "mismatch $c"; exit 1; }
            done
            echo whole
            """);
        Assert.Equal("whole", check.Trim());
        var ca = await Exec(node, "cat /etc/kubernetes/pki/ca.crt");
        await using var again = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(node));
        var cp = await InitWorkflow.RunAsync(again, request, new CapturingSink(), CancellationToken.None);
        Assert.Equal(ca, await Exec(node, "cat /etc/kubernetes/pki/ca.crt"));
        Assert.Equal(22, int.Parse(await Exec(node, "find /etc/kubernetes/pki -type f | wc -l")));
        Assert.DoesNotContain(cp.Changes, c => c.Phase == "certs/ca");
    }

    [Fact]
    public async Task An_API_server_that_never_gets_ready_is_Init_ControlPlaneTimeout_naming_it_and_where_its_log_is()
    {
        var node = Lab.Nodes[3];
        // A wrong etcd client certificate: signed by the etcd CA, so kubeadm's reuse rules keep it, but for server
        // authentication only, so etcd refuses the API server's connections.
        await Exec(node, """
            set -e
            mkdir -p /etc/kubernetes/pki/etcd && cd /etc/kubernetes/pki
            openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout etcd/ca.key -out etcd/ca.crt -days 3650 -subj /CN=etcd-ca \
              -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign 2>/dev/null
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout apiserver-etcd-client.key -out c.csr -subj /CN=kube-apiserver-etcd-client 2>/dev/null
            printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > c.ext
            openssl x509 -req -in c.csr -CA etcd/ca.crt -CAkey etcd/ca.key -CAcreateserial -out apiserver-etcd-client.crt -days 365 -extfile c.ext 2>/dev/null
            rm -f c.csr c.ext etcd/ca.srl; chmod 600 etcd/ca.key apiserver-etcd-client.key
            """);
        var e = await Assert.ThrowsAnyAsync<KubeException>(() =>
            InitWorkflow.RunAsync(fx.Sessions[3], fx.Request(3, InitLabFixture.Yaml(controlPlaneTimeout: "12s")), new CapturingSink(), CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.Equal("Init.ControlPlaneTimeout", e.ErrorId);
        Assert.Equal(KubeErrorCategory.OperationTimeout, e.Category);
        Assert.StartsWith($"phase wait-control-plane on {node.Address}: ", e.Message);
        Assert.Contains($"kube-apiserver is not healthy at https://{node.Address}:6443/livez", e.Message);
        Assert.Contains("its log: crictl", e.Message);
        Assert.DoesNotContain("etcd is not healthy", e.Message);
        // Nothing half-made: every file is whole and the reused certificate is still the planted one.
        Assert.Contains("kube-apiserver-etcd-client", await Exec(node, "openssl x509 -in /etc/kubernetes/pki/apiserver-etcd-client.crt -noout -subject"));
        Assert.Equal("present", (await Exec(node, "[ -s /etc/kubernetes/manifests/kube-apiserver.yaml ] && echo present")).Trim());
    }

    [Fact]
    public async Task WhatIf_on_a_lab_node_reads_it_describes_every_change_and_changes_nothing()
    {
        var node = Lab.Nodes[2];
        const string state = "find /etc/kubernetes /var/lib/kubelet /etc/systemd -type f -exec sha256sum {} + 2>/dev/null | sort; ls /run/lab-systemd 2>/dev/null; true";
        var before = await Exec(node, state);
        var sink = new CapturingSink(answer: false);
        var cp = await InitWorkflow.RunAsync(fx.Sessions[2], fx.Request(2), sink, CancellationToken.None);
        Assert.Equal(before, await Exec(node, state));
        Assert.Equal(0, cp.ChangeCount);
        var questions = sink.WhatIfText();
        Assert.Contains(questions, q => q.Contains("[control-plane/kube-apiserver] create /etc/kubernetes/manifests/kube-apiserver.yaml (0600)") && q.EndsWith($"on target \"{node.Address}\"."));
        Assert.Contains(questions, q => q.Contains("[kubelet-start] ") && q.Contains("systemctl restart kubelet"));
        // The control plane is not running (its start was declined): the API phases say what they would create there.
        Assert.Contains(questions, q => q.Contains("[upload-config/kubeadm] create ConfigMap kube-system/kubeadm-config") && q.EndsWith($"on target \"https://{node.Address}:6443\"."));
        Assert.Contains(questions, q => q.Contains("[addon/coredns] create Deployment kube-system/coredns"));
        Assert.Contains(sink.Verbose, v => v.Contains("[wait-control-plane]") && v.Contains("changes that would start it were not made"));
    }
}
