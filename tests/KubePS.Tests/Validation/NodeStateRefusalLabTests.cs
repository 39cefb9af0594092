using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.Cluster;
using KubePS.Core.Configuration;
using KubePS.Core.Nodes;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows.Init;
using KubePS.Core.Workflows.Reset;
using KubePS.Core.Workflows.Upgrade;
using KubePS.Tests.Lab;
using Xunit;
using Xunit.Abstractions;

namespace KubePS.Tests.Validation;

/// <summary>One bare lab node (no stand-ins) for the refusals that depend on what a node holds.</summary>
public sealed class NodeStateLabFixture : LabFixture
{
    protected override int NodeCount => 1;
}

/// <summary>
/// Refusals that depend on a node's state, on a real lab node: each test arranges the node's files (or a login user)
/// with nsenter, bypassing KubePS, lets KubePS refuse, and judges with a listing of the node's folders (paths, modes,
/// sizes and sha256 of every file) taken by nsenter before and after that nothing was written. Each test removes what it
/// arranged, so the order of the tests does not matter.
/// </summary>
public sealed class NodeStateRefusalLabTests(NodeStateLabFixture fixture, ITestOutputHelper output) : IClassFixture<NodeStateLabFixture>
{
    NodeLab Lab => fixture.Lab;
    LabNode N => Lab.Nodes[0];

    const string Version = "v1.32.4";

    static readonly string Folders = "/etc/kubernetes /var/lib/kubelet /var/lib/etcd /etc/systemd/system /etc/default /etc/sysconfig /run/containerd /run/crio";

    /// <summary>Every file and folder under the folders KubePS writes to, with mode, size and content hash.</summary>
    async Task<string> ListingAsync() => (await Lab.ExecAsync(N,
        $"for d in {Folders}; do [ -e $d ] && find $d -printf '%p %y %m %s\\n'; done | sort; " +
        $"for d in {Folders}; do [ -e $d ] && find $d -type f -exec sha256sum {{}} +; done | sort; true")).Output;

    async Task ArrangeAsync(string script) => (await Lab.ExecAsync(N, "set -e\n" + script)).EnsureSuccess("arrange " + N);

    async Task CleanAsync() => await Lab.ExecAsync(N, "rm -rf /etc/kubernetes /var/lib/kubelet /run/containerd /run/crio /var/run/containerd /var/run/crio; true");

    /// <summary>Runs the refusal between two listings of the node, then cleans the node.</summary>
    async Task<KubeException> RefusedAsync(Func<Task> act)
    {
        try
        {
            var before = await ListingAsync();
            var e = await Assert.ThrowsAnyAsync<KubeException>(act);
            output.WriteLine($"{e.ErrorId}: {e.Message} [{e.Target}] -> {e.RecommendedAction}");
            Assert.Equal(before, await ListingAsync());
            return e;
        }
        finally { await CleanAsync(); }
    }

    static InitRequest Init(params string[] phases) => new()
    {
        Configuration = KubeClusterConfiguration.Parse($"""
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            kubernetesVersion: {Version}
            """, "test"),
        Phases = phases,
    };

    /// <summary>A file written into the node through nsenter (base64, so any bytes pass).</summary>
    static string Put(string path, string content, string mode = "644") =>
        $"mkdir -p {Path.GetDirectoryName(path)} && echo {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(content))} | base64 -d > {path} && chmod {mode} {path}\n";

    /// <summary>A cluster CA (valid now) and an apiserver certificate signed by it that expired a day ago, as PEM.</summary>
    static (string CaCrt, string CaKey, string Crt, string Key) ExpiredApiServer()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=kubernetes", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        using var ca = caReq.CreateSelfSigned(now.AddYears(-3), now.AddYears(7));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=kube-apiserver", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("kubernetes");
        req.CertificateExtensions.Add(san.Build());
        using var leaf = req.Create(ca, now.AddYears(-1), now.AddDays(-1), [1, 2, 3, 4]);
        return (ca.ExportCertificatePem(), caKey.ExportPkcs8PrivateKeyPem(), leaf.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    [Fact]
    public async Task Renewing_on_a_node_without_apiserver_crt_or_admin_conf_is_Certificates_NotControlPlane()
    {
        await using var s = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(N));
        await ArrangeAsync(Put("/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n"));
        var e = await RefusedAsync(() => CertificateRenewal.RenewAsync(s, new CertificateRenewalOptions(), new CapturingSink(), default));
        Refusal.Names(e, "Certificates.NotControlPlane", N.Address, "control-plane");
        Assert.Contains("/etc/kubernetes/pki/apiserver.crt", e.Message);
    }

    [Fact]
    public async Task Renewing_on_a_control_plane_without_a_kube_apiserver_manifest_is_Certificates_VersionUnknown()
    {
        var (caCrt, caKey, crt, key) = ExpiredApiServer();
        await ArrangeAsync(Put("/etc/kubernetes/pki/ca.crt", caCrt) + Put("/etc/kubernetes/pki/ca.key", caKey, "600")
                           + Put("/etc/kubernetes/pki/apiserver.crt", crt) + Put("/etc/kubernetes/pki/apiserver.key", key, "600"));
        await using var s = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(N));
        var e = await RefusedAsync(() => CertificateRenewal.RenewAsync(s, new CertificateRenewalOptions(), new CapturingSink(), default));
        Refusal.Names(e, "Certificates.VersionUnknown", N.Address, "-KubernetesVersion");
        Assert.Contains("/etc/kubernetes/manifests/kube-apiserver.yaml", e.Message);
        Assert.DoesNotContain("PRIVATE KEY", e.ToString());
    }

    [Fact]
    public async Task An_expired_apiserver_certificate_blocks_the_upgrade_as_Upgrade_CertificateExpired()
    {
        var (caCrt, caKey, crt, key) = ExpiredApiServer();
        await ArrangeAsync(Put("/etc/kubernetes/pki/ca.crt", caCrt) + Put("/etc/kubernetes/pki/ca.key", caKey, "600")
                           + Put("/etc/kubernetes/pki/apiserver.crt", crt) + Put("/etc/kubernetes/pki/apiserver.key", key, "600"));
        // The judge: openssl says the certificate on the node has expired.
        Assert.Contains("will expire", (await Lab.ExecAsync(N, "openssl x509 -in /etc/kubernetes/pki/apiserver.crt -noout -checkend 0")).Output);
        var node = KubeNode.FromObject(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = N.Name, ["labels"] = new JsonObject { ["node-role.kubernetes.io/control-plane"] = "" } },
            ["status"] = new JsonObject
            {
                ["addresses"] = new JsonArray(new JsonObject { ["type"] = "InternalIP", ["address"] = N.Address }),
                ["nodeInfo"] = new JsonObject { ["kubeletVersion"] = Version },
            },
        });
        var state = new ClusterState { ApiServerVersion = KubeVersion.Parse(Version), Nodes = [node], StaticPodTags = new Dictionary<(string, string), string>() };
        await using var s = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(N));
        IReadOnlyList<KubeException> blockers = [];
        await RefusedAsync(async () =>
        {
            (blockers, _) = await UpgradeCertificateCheck.RunAsync(state, [s], new CapturingSink(), default);
            if (blockers.Count > 0) throw new KubeAggregateException(blockers);
        });
        var e = Assert.Single(blockers);
        Refusal.Names(e, "Upgrade.CertificateExpired", "apiserver", "Update-KubeCertificate");
        Assert.Contains(N.Name, e.Message);
    }

    [Fact]
    public async Task Two_CRI_sockets_on_the_node_without_a_criSocket_is_Init_CriSocketAmbiguous()
    {
        await ArrangeAsync("""
            mkdir -p /var/run/containerd /var/run/crio
            python3 -c 'import socket; [socket.socket(socket.AF_UNIX).bind(p) for p in ("/var/run/containerd/containerd.sock", "/var/run/crio/crio.sock")]'
            test -S /var/run/containerd/containerd.sock && test -S /var/run/crio/crio.sock
            """);
        await using var s = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(N));
        var e = await RefusedAsync(() => InitWorkflow.RunAsync(s, Init(), new CapturingSink(), default));
        Refusal.Names(e, "Init.CriSocketAmbiguous", "unix:///var/run/containerd/containerd.sock", "criSocket");
        Assert.Contains("unix:///var/run/crio/crio.sock", e.Message);
    }

    [Fact]
    public async Task The_kubeconfig_phase_with_ca_crt_but_no_ca_key_is_Init_KubeConfigMissing()
    {
        // External CA mode as kubeadm knows it: ca.crt and the leaves the CA signed, no ca.key.
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=kubernetes", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        using var ca = caReq.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        string Leaf(string name, string subject, bool server, byte serial)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            if (server)
            {
                var san = new SubjectAlternativeNameBuilder();
                foreach (var d in new[] { "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", N.Name }) san.AddDnsName(d);
                san.AddIpAddress(System.Net.IPAddress.Parse("10.96.0.1"));
                san.AddIpAddress(System.Net.IPAddress.Parse(N.Address));
                req.CertificateExtensions.Add(san.Build());
            }
            using var leaf = req.Create(ca, now.AddHours(-1), now.AddYears(1), [serial, 1, 2, 3]);
            return Put($"/etc/kubernetes/pki/{name}.crt", leaf.ExportCertificatePem()) + Put($"/etc/kubernetes/pki/{name}.key", key.ExportPkcs8PrivateKeyPem(), "600");
        }
        await ArrangeAsync(Put("/etc/kubernetes/pki/ca.crt", ca.ExportCertificatePem())
                           + Leaf("apiserver", "CN=kube-apiserver", true, 1)
                           + Leaf("apiserver-kubelet-client", "CN=kube-apiserver-kubelet-client, O=kubeadm:cluster-admins", false, 2));
        await using var s = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(N));
        var e = await RefusedAsync(() => InitWorkflow.RunAsync(s, Init("kubeconfig/admin") with { NodeName = N.Name, AdvertiseAddress = N.Address }, new CapturingSink(), default));
        Refusal.Names(e, "Init.KubeConfigMissing", "/etc/kubernetes/admin.conf", "external CA");
    }

    [Fact]
    public async Task Kubelet_finalize_without_kubelet_conf_is_Init_KubeConfigNotFound()
    {
        var (_, _, crt, key) = ExpiredApiServer();
        await ArrangeAsync(Put("/var/lib/kubelet/pki/kubelet-client-current.pem", crt + key, "600"));
        await using var s = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(N));
        var e = await RefusedAsync(() => InitWorkflow.RunAsync(s, Init("kubelet-finalize"), new CapturingSink(), default));
        Refusal.Names(e, "Init.KubeConfigNotFound", "/etc/kubernetes/kubelet.conf", "kubeconfig/kubelet");
        Assert.DoesNotContain("PRIVATE KEY", e.ToString());
    }

    [Fact]
    public async Task Kubelet_finalize_with_a_kubelet_conf_without_the_nodes_user_is_Init_KubeConfigInvalid()
    {
        var (_, _, crt, key) = ExpiredApiServer();
        await ArrangeAsync(Put("/var/lib/kubelet/pki/kubelet-client-current.pem", crt + key, "600") + Put("/etc/kubernetes/kubelet.conf", """
            apiVersion: v1
            kind: Config
            clusters:
            - cluster:
                server: https://10.0.0.1:6443
              name: kubernetes
            contexts: []
            users: []
            current-context: ""
            """, "600"));
        await using var s = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(N));
        var e = await RefusedAsync(() => InitWorkflow.RunAsync(s, Init("kubelet-finalize"), new CapturingSink(), default));
        Refusal.Names(e, "Init.KubeConfigInvalid", "/etc/kubernetes/kubelet.conf", "kubeconfig/kubelet");
    }

    [Fact]
    public async Task Reset_through_a_sudo_that_does_not_run_as_root_is_Reset_NotRoot()
    {
        const string user = "kpsnotroot";
        await Lab.CreateUserAsync(N, user, passwordlessSudo: true);
        // sudo -n works, but runs scripts as nobody: a sudoers rule that is not root's.
        await ArrangeAsync($"printf '%s\\n' 'Defaults:{user} runas_default=nobody' '{user} ALL=(nobody) NOPASSWD: ALL' > /etc/sudoers.d/{user}; chmod 440 /etc/sudoers.d/{user}\n"
                           + Put("/etc/kubernetes/admin.conf", "keep\n", "600"));
        Assert.Equal("65534", (await Lab.SshAsync(N, "sudo -n id -u", user)).Output.Trim());
        try
        {
            await using var s = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(N) with { UserName = user });
            var e = await RefusedAsync(() => ResetWorkflow.RunAsync(s, new ResetRequest(), new CapturingSink(), default));
            Refusal.Names(e, "Reset.NotRoot", N.Address, "root");
            Assert.Contains("65534", e.Message);
        }
        finally { await Lab.ExecAsync(N, $"rm -f /etc/sudoers.d/{user}; userdel -r {user} 2>/dev/null; true"); }
    }

    [Fact]
    public async Task A_login_shell_that_cannot_run_commands_is_Node_ShellFailed()
    {
        const string user = "kpsnoshell";
        await Lab.CreateUserAsync(N, user, passwordlessSudo: false);
        await ArrangeAsync($"usermod -s /bin/false {user}");
        try
        {
            var e = await RefusedAsync(() => NodeSessionFactory.OpenAsync(Lab.SessionOptions(N) with { UserName = user }));
            Refusal.Names(e, "Node.ShellFailed", N.Address, "bash");
        }
        finally { await Lab.ExecAsync(N, $"userdel -r {user} 2>/dev/null; true"); }
    }

    [Fact]
    public async Task A_login_shell_that_answers_something_else_is_Node_ProbeFailed()
    {
        const string user = "kpschatty";
        await Lab.CreateUserAsync(N, user, passwordlessSudo: false);
        // A login shell that greets and ignores the command it is given.
        await ArrangeAsync($"printf '#!/bin/sh\\necho welcome to the jump host\\n' > /usr/local/bin/kps-chatty-shell; chmod 755 /usr/local/bin/kps-chatty-shell; usermod -s /usr/local/bin/kps-chatty-shell {user}");
        try
        {
            var e = await RefusedAsync(() => NodeSessionFactory.OpenAsync(Lab.SessionOptions(N) with { UserName = user }));
            Refusal.Names(e, "Node.ProbeFailed", N.Address, "POSIX shell");
            Assert.Contains("welcome to the jump host", e.Message);
        }
        finally { await Lab.ExecAsync(N, $"userdel -r {user} 2>/dev/null; rm -f /usr/local/bin/kps-chatty-shell; true"); }
    }
}
