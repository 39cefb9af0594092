using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.Api;
using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Network;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows.Join;
using KubePS.Core.Workflows.Upgrade;
using KubePS.Tests.Join;
using KubePS.Tests.Lab;
using KubePS.Tests.LabControlPlane;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>
/// One lab control plane (LabCluster: real etcd, the stand-in API server with RBAC, the controller-manager's bootstrap
/// signer and token cleaner) holding what kubeadm init leaves behind, written by hand with kubectl: cluster-info and
/// the bootstrap RBAC, the Roles that let joining nodes read kubeadm-config, kubelet-config and kubeadm-certs, a
/// kubeadm-config ClusterConfiguration (v1.32.4, a controlPlaneEndpoint, no podSubnet) and a kubelet-config. Each test
/// takes away or spoils the object its refusal is about and puts it back.
/// </summary>
public sealed class ClusterAnswerLab : IDisposable
{
    /// <summary>Without the token cleaner, so an expired token stays until the test removes it.</summary>
    public LabCluster Lab { get; } = new("*,bootstrapsigner");

    public const string JoinRoles = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: "kubeadm:nodes-kubeadm-config", namespace: kube-system}
        rules: [{apiGroups: [""], resources: [configmaps], resourceNames: [kubeadm-config], verbs: [get]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: "kubeadm:nodes-kubeadm-config", namespace: kube-system}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: "kubeadm:nodes-kubeadm-config"}
        subjects:
        - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:bootstrappers:kubeadm:default-node-token"}
        - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:nodes"}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: "kubeadm:kubelet-config", namespace: kube-system}
        rules: [{apiGroups: [""], resources: [configmaps], resourceNames: [kubelet-config], verbs: [get]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: "kubeadm:kubelet-config", namespace: kube-system}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: "kubeadm:kubelet-config"}
        subjects:
        - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:bootstrappers:kubeadm:default-node-token"}
        - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:nodes"}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: "kubeadm:kubeadm-certs", namespace: kube-system}
        rules: [{apiGroups: [""], resources: [secrets], resourceNames: [kubeadm-certs], verbs: [get]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: "kubeadm:kubeadm-certs", namespace: kube-system}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: "kubeadm:kubeadm-certs"}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:bootstrappers:kubeadm:default-node-token"}]
        """;

    public ClusterAnswerLab()
    {
        try
        {
            Lab.Apply(KubeadmInitObjects.ClusterInfo(Lab.Server, Convert.ToBase64String(File.ReadAllBytes(CAPath))));
            Lab.Apply(KubeadmInitObjects.BootstrapRbac);
            Lab.Apply(JoinRoles);
            ApplyKubeadmConfig();
            ApplyKubeletConfig();
        }
        catch
        {
            Lab.Dispose();
            throw;
        }
    }

    public string CAPath => Path.Combine(Lab.Pki, "ca.crt");
    public string Endpoint => $"127.0.0.1:{Lab.ApiPort}";

    public KubeApiClient AdminApi() => new(KubeConfigCredentials.From(KubeConfigFactory.Load(Lab.AdminConf), Lab.AdminConf));

    /// <summary>kube-system/kubeadm-config as kubeadm 1.32 writes it (v1beta4), with or without a controlPlaneEndpoint and a podSubnet.</summary>
    public void ApplyKubeadmConfig(bool controlPlaneEndpoint = true, string? podSubnet = null) => Lab.Apply($"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {LabCluster.Braces[0]}name: kubeadm-config, namespace: kube-system{LabCluster.Braces[1]}
        data:
          ClusterConfiguration: |
            apiServer: {LabCluster.Braces}
            apiVersion: kubeadm.k8s.io/v1beta4
            certificatesDir: /etc/kubernetes/pki
            clusterName: kubernetes
            {(controlPlaneEndpoint ? $"controlPlaneEndpoint: {Endpoint}" : "")}
            controllerManager: {LabCluster.Braces}
            dns: {LabCluster.Braces}
            encryptionAlgorithm: RSA-2048
            etcd:
              local:
                dataDir: /var/lib/etcd
            imageRepository: registry.k8s.io
            kind: ClusterConfiguration
            kubernetesVersion: {LabCluster.Version}
            networking:
              dnsDomain: cluster.local
              {(podSubnet is null ? "" : $"podSubnet: {podSubnet}")}
              serviceSubnet: 10.96.0.0/12
            proxy: {LabCluster.Braces}
            scheduler: {LabCluster.Braces}
        """);

    public void ApplyKubeletConfig() => Lab.Apply($"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {LabCluster.Braces[0]}name: kubelet-config, namespace: kube-system{LabCluster.Braces[1]}
        data:
          kubelet: |
            apiVersion: kubelet.config.k8s.io/v1beta1
            authentication:
              x509:
                clientCAFile: /etc/kubernetes/pki/ca.crt
            cgroupDriver: systemd
            clusterDNS:
            - 10.96.0.10
            clusterDomain: cluster.local
            kind: KubeletConfiguration
            rotateCertificates: true
            staticPodPath: /etc/kubernetes/manifests
        """);

    /// <summary>Deletes an object with kubectl (absent is fine).</summary>
    public void Delete(string ns, string kind, string name) => Lab.KubectlOk("-n", ns, "delete", kind, name, "--ignore-not-found");

    /// <summary>Whether kubectl finds the object.</summary>
    public bool Exists(string ns, string kind, string name) => Lab.Kubectl("-n", ns, "get", kind, name).ExitCode == 0;

    /// <summary>A token Secret written with kubectl, as kubeadm stores it.</summary>
    public void CreateToken(string id, string secret, DateTimeOffset? expires = null, string usages = "true") =>
        Lab.Apply(KubeadmInitObjects.TokenSecret(id, secret, (expires ?? DateTimeOffset.UtcNow.AddHours(2)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), usages));

    public void Dispose() => Lab.Dispose();
}

/// <summary>
/// The refusals that depend on what the cluster answers: a bootstrap token that expired, has another secret, is not a
/// token or cannot join; a cluster-info that is not set up or holds no CA; a kubeadm-config without a
/// ClusterConfiguration or a controlPlaneEndpoint; no kubelet-config; no (or another cluster's) kubeadm-certs; no
/// podSubnet or /version; no control-plane node. Each names the offending object, says what to do, shows no secret
/// (token secret, certificate key) and changes nothing: no node is touched, no object is written. The cluster is
/// judged by kubectl.
/// </summary>
public sealed class ClusterAnswerRefusalTests(ClusterAnswerLab fx) : IClassFixture<ClusterAnswerLab>
{
    LabCluster Lab => fx.Lab;

    static void NoSecret(KubeException e, CapturingSink sink, params string[] secrets)
    {
        var text = CapturingSink.Describe(e) + "\n" + e + "\n" + sink.AllText();
        foreach (var s in secrets) Assert.DoesNotContain(s, text);
    }

    /// <summary>
    /// The names of kube-system's Secrets and ConfigMaps as kubectl lists them: a refusal leaves them as they were. The
    /// controller-manager's own (kube-root-ca.crt, service-account token Secrets) come and go by themselves and are left out.
    /// </summary>
    string KubeSystemObjects() => string.Join("\n",
        Lab.KubectlOk("-n", "kube-system", "get", "secrets", "--field-selector", "type!=kubernetes.io/service-account-token", "-o", "name")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Concat(Lab.KubectlOk("-n", "kube-system", "get", "configmaps", "-o", "name").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Where(n => n != "configmap/kube-root-ca.crt"));

    // ---------------------------------------------------------------- tokens (Get-KubeJoinCommand)

    [Fact]
    public async Task An_expired_token_is_refused_for_a_join_command_naming_it_and_not_its_secret()
    {
        const string id = "carexp", secret = "exp0123456789abc";
        using var api = fx.AdminApi();
        var sink = new CapturingSink();
        // The fixture's controller-manager runs without the token cleaner, so the expired token stays.
        fx.CreateToken(id, secret, DateTimeOffset.UtcNow.AddMinutes(-5));
        var e = await Assert.ThrowsAsync<KubeException>(() => JoinCommands.GetAsync(api, new JoinCommandRequest { TokenId = id }, sink, CancellationToken.None));
        fx.Delete("kube-system", "secret", "bootstrap-token-" + id);
        Refusal.Names(e, "Token.Expired", id, "New-KubeBootstrapToken");
        Assert.Equal(id, e.Target);
        NoSecret(e, sink, secret);
        Assert.Empty(sink.Objects);
    }

    [Fact]
    public async Task A_token_whose_secret_differs_from_the_stored_one_is_refused_without_showing_either_secret()
    {
        const string id = "carmis", stored = "stored0123456789", given = "given00123456789";
        fx.CreateToken(id, stored);
        try
        {
            using var api = fx.AdminApi();
            var sink = new CapturingSink();
            var e = await Assert.ThrowsAsync<KubeException>(() => JoinCommands.GetAsync(api, new JoinCommandRequest { TokenId = $"{id}.{given}" }, sink, CancellationToken.None));
            Refusal.Names(e, "Token.Mismatch", id, "Get-KubeBootstrapToken");
            NoSecret(e, sink, stored, given);
            Assert.Empty(sink.Objects);
        }
        finally
        {
            fx.Delete("kube-system", "secret", "bootstrap-token-" + id);
        }
    }

    [Fact]
    public async Task A_token_Secret_without_its_secret_is_refused_as_not_a_token()
    {
        const string id = "carinv";
        Lab.Apply($"""
            apiVersion: v1
            kind: Secret
            metadata: {LabCluster.Braces[0]}name: bootstrap-token-{id}, namespace: kube-system{LabCluster.Braces[1]}
            type: bootstrap.kubernetes.io/token
            stringData: {LabCluster.Braces[0]}token-id: {id}, usage-bootstrap-signing: "true", usage-bootstrap-authentication: "true"{LabCluster.Braces[1]}
            """);
        try
        {
            using var api = fx.AdminApi();
            var sink = new CapturingSink();
            var before = KubeSystemObjects();
            var e = await Assert.ThrowsAsync<KubeException>(() => JoinCommands.GetAsync(api, new JoinCommandRequest { TokenId = id }, sink, CancellationToken.None));
            Refusal.Names(e, "Token.Invalid", id, "Remove-KubeBootstrapToken");
            Assert.Contains("bootstrap-token-" + id, e.Message);
            Assert.Equal(before, KubeSystemObjects());
        }
        finally
        {
            fx.Delete("kube-system", "secret", "bootstrap-token-" + id);
        }
    }

    [Fact]
    public async Task Without_a_token_that_can_join_no_join_command_is_made_and_none_is_created()
    {
        // Only tokens that cannot join: one for authentication alone and an expired one.
        Lab.KubectlOk("-n", "kube-system", "delete", "secrets", "--field-selector", "type=bootstrap.kubernetes.io/token");
        fx.CreateToken("carno1", "noneusable012345", usages: "false");
        try
        {
            using var api = fx.AdminApi();
            var sink = new CapturingSink();
            var before = KubeSystemObjects();
            var e = await Assert.ThrowsAsync<KubeException>(() => JoinCommands.GetAsync(api, new JoinCommandRequest(), sink, CancellationToken.None));
            Refusal.Names(e, "Token.NoneUsable", Lab.Server, "New-KubeBootstrapToken");
            NoSecret(e, sink, "noneusable012345");
            Assert.Equal(before, KubeSystemObjects());
            Assert.Empty(sink.Questions);
        }
        finally
        {
            fx.Delete("kube-system", "secret", "bootstrap-token-carno1");
        }
    }

    // ---------------------------------------------------------------- discovery (Join-KubeNode -ApiServerEndpoint -Token)

    const string DiscoveryId = "cardsc", DiscoverySecret = "dsc0123456789abc";
    static readonly BootstrapTokenString DiscoveryToken = BootstrapTokenString.Parse($"{DiscoveryId}.{DiscoverySecret}");

    string WorkDir(string name) => Path.Combine(Lab.Root, "refusal-" + name);

    /// <summary>An HTTPS server on loopback with a certificate of the lab CA that serves <paramref name="clusterInfo"/> (null: 404).</summary>
    TlsTestServer ClusterInfoServer(string name, JsonObject? clusterInfo) =>
        new(TlsTestServer.IssueServerCertificate(Lab.Pki, WorkDir(name), name),
            (path, _) => clusterInfo is not null && path.EndsWith("/configmaps/cluster-info", StringComparison.Ordinal)
                ? (200, clusterInfo.ToJsonString())
                : (404, """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}"""));

    static JsonObject ClusterInfo(string? kubeconfig, string jws)
    {
        var data = new JsonObject { ["jws-kubeconfig-" + DiscoveryId] = jws };
        if (kubeconfig is not null) data["kubeconfig"] = kubeconfig;
        return new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "cluster-info", ["namespace"] = "kube-public" },
            ["data"] = data,
        };
    }

    TokenDiscoveryRequest Discovery(string endpoint) => new()
    {
        ApiServerEndpoint = endpoint,
        Token = DiscoveryToken,
        CACertHashes = [JoinLab.OpenSslPin(fx.CAPath)],
        Timeout = TimeSpan.FromSeconds(1),
        RetryInterval = TimeSpan.FromMilliseconds(300),
    };

    [Fact]
    public async Task Discovery_refuses_an_API_server_without_cluster_info()
    {
        using var server = ClusterInfoServer("nocm", null);
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAsync<KubeException>(() => TokenDiscovery.DiscoverAsync(Discovery(server.Endpoint), sink, CancellationToken.None));
        Refusal.Names(e, "Discovery.NotSetUp", server.Endpoint, "bootstrap-token");
        Assert.Contains("kube-public/cluster-info", e.Message);
        NoSecret(e, sink, DiscoverySecret);
    }

    [Fact]
    public async Task Discovery_refuses_a_cluster_info_without_a_kubeconfig()
    {
        using var server = ClusterInfoServer("nokc", ClusterInfo(null, DetachedJws.Compute("", DiscoveryId, DiscoverySecret)));
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAsync<KubeException>(() => TokenDiscovery.DiscoverAsync(Discovery(server.Endpoint), sink, CancellationToken.None));
        Refusal.Names(e, "Discovery.NotSetUp", server.Endpoint, "bootstrap-token");
        Assert.Contains("no kubeconfig", e.Message);
        NoSecret(e, sink, DiscoverySecret);
    }

    [Theory]
    [InlineData("noca", "no certificate-authority-data")]
    [InlineData("badca", "does not parse")]
    [InlineData("noclusters", "0 clusters")]
    public async Task Discovery_refuses_a_signed_cluster_info_whose_kubeconfig_holds_no_usable_cluster(string kind, string says)
    {
        var ca = kind == "badca" ? Convert.ToBase64String("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"u8.ToArray()) : null;
        var clusters = kind == "noclusters" ? "clusters: []\n"
            : "clusters:\n- cluster:\n" + (ca is null ? "" : $"    certificate-authority-data: {ca}\n") + $"    server: {Lab.Server}\n  name: \"\"\n";
        var kubeconfig = "apiVersion: v1\n" + clusters + "contexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n";
        using var server = ClusterInfoServer(kind, ClusterInfo(kubeconfig, DetachedJws.Compute(kubeconfig, DiscoveryId, DiscoverySecret)));
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAsync<KubeException>(() => TokenDiscovery.DiscoverAsync(Discovery(server.Endpoint), sink, CancellationToken.None));
        Refusal.Names(e, "Discovery.InvalidClusterInfo", server.Endpoint, "cluster-info");
        Assert.Contains(says, e.Message);
        NoSecret(e, sink, DiscoverySecret);
    }

    // ---------------------------------------------------------------- join (Join-KubeNode): what the cluster must hold

    /// <summary>A token the lab's bootstrap signer has signed cluster-info for.</summary>
    BootstrapTokenString SignedToken()
    {
        const string id = "carjn1", secret = "join0123456789ab";
        fx.CreateToken(id, secret);
        LabTools.WaitFor($"jws-kubeconfig-{id} in cluster-info", TimeSpan.FromSeconds(30), () =>
        {
            var r = Lab.Kubectl("-n", "kube-public", "get", "configmap", "cluster-info", "-o", $"jsonpath={{.data.jws-kubeconfig-{id}}}");
            return (r.ExitCode == 0 && r.Stdout.Trim().StartsWith("eyJ", StringComparison.Ordinal), r.All);
        });
        return BootstrapTokenString.Parse($"{id}.{secret}");
    }

    JoinRequest Join(BootstrapTokenString token, bool controlPlane = false, CertificateKey? key = null) => new()
    {
        ApiServerEndpoint = fx.Endpoint,
        Token = token,
        CACertHashes = [JoinLab.OpenSslPin(fx.CAPath)],
        AsControlPlane = controlPlane,
        AdvertiseAddress = controlPlane ? "127.0.0.1" : null,
        CertificateKey = key,
        DiscoveryTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>Runs the join on an untouched node: it must be refused with a KubeException before the node is touched or anything is written.</summary>
    async Task<KubeException> JoinRefused(JoinRequest request, params string[] secrets)
    {
        var (session, node) = UntouchedNode.Session("w1");
        var sink = new CapturingSink();
        var before = KubeSystemObjects();
        var e = await Assert.ThrowsAsync<KubeException>(() => JoinWorkflow.RunAsync([session], request, sink, CancellationToken.None));
        Assert.Equal(0, node.Calls);
        Assert.Empty(sink.Questions);
        Assert.Equal(before, KubeSystemObjects());
        NoSecret(e, sink, [request.Token!.Secret, .. secrets]);
        return e;
    }

    [Fact]
    public async Task A_join_to_a_cluster_without_a_ClusterConfiguration_is_refused_before_the_node_is_touched()
    {
        var token = SignedToken();
        fx.Delete("kube-system", "configmap", "kubeadm-config");
        try
        {
            var e = await JoinRefused(Join(token));
            Refusal.Names(e, "Join.NoClusterConfiguration", Lab.Server, "upload-config");
            Assert.Contains("kube-system/kubeadm-config", e.Message);
        }
        finally
        {
            fx.ApplyKubeadmConfig();
        }
    }

    [Fact]
    public async Task A_control_plane_join_to_a_cluster_without_a_controlPlaneEndpoint_is_refused()
    {
        var token = SignedToken();
        fx.ApplyKubeadmConfig(controlPlaneEndpoint: false);
        try
        {
            var e = await JoinRefused(Join(token, controlPlane: true));
            Refusal.Names(e, "Join.NoControlPlaneEndpoint", Lab.Server, "controlPlaneEndpoint");
        }
        finally
        {
            fx.ApplyKubeadmConfig();
        }
    }

    [Fact]
    public async Task A_join_to_a_cluster_without_kubelet_config_is_refused_naming_the_ConfigMap()
    {
        var token = SignedToken();
        fx.Delete("kube-system", "configmap", "kubelet-config");
        try
        {
            var e = await JoinRefused(Join(token));
            Refusal.Names(e, "Join.NoKubeletConfiguration", "kubelet-config", "upload-config/kubelet");
            Assert.Contains("kube-system/kubelet-config", e.Message);
        }
        finally
        {
            fx.ApplyKubeletConfig();
        }
    }

    [Fact]
    public async Task A_control_plane_join_with_a_key_but_no_uploaded_certificates_is_refused_without_showing_the_key()
    {
        var token = SignedToken();
        fx.Delete("kube-system", "secret", "kubeadm-certs");
        var key = CertificateKey.Generate();
        var e = await JoinRefused(Join(token, controlPlane: true, key: key), key.Reveal());
        Refusal.Names(e, "Join.NoUploadedCertificates", "kubeadm-certs", "Publish-KubeControlPlaneCertificate");
        Assert.Contains("kube-system/kubeadm-certs", e.Message);

        // Get-KubeJoinCommand -AsControlPlane -CertificateKey refuses it the same way.
        using var api = fx.AdminApi();
        var sink = new CapturingSink();
        var cmd = await Assert.ThrowsAsync<KubeException>(() => JoinCommands.GetAsync(api,
            new JoinCommandRequest { TokenId = token.Id, AsControlPlane = true, CertificateKey = key }, sink, CancellationToken.None));
        Refusal.Names(cmd, "Join.NoUploadedCertificates", "kubeadm-certs", "Publish-KubeControlPlaneCertificate");
        NoSecret(cmd, sink, key.Reveal(), token.Secret);
        Assert.Empty(sink.Objects);
    }

    [Fact]
    public async Task A_control_plane_join_refuses_uploaded_certificates_whose_CA_is_not_the_discovered_one()
    {
        var token = SignedToken();
        // Another cluster's CA uploaded with a key the joining node has: the key decrypts it, but it is not this cluster's CA.
        var dir = WorkDir("otherpki");
        Directory.CreateDirectory(dir);
        LabTools.Bash($"set -e; cp -r '{Lab.Pki}/.' '{dir}/'; cp '{Lab.Pki}/other/ca.crt' '{dir}/ca.crt'; cp '{Lab.Pki}/other/ca.key' '{dir}/ca.key'");
        var key = CertificateKey.Generate();
        using var api = fx.AdminApi();
        var upload = await ControlPlaneCertificates.PublishFromDirectoryAsync(api, dir, key, new CapturingSink(), CancellationToken.None);
        try
        {
            var e = await JoinRefused(Join(token, controlPlane: true, key: key), key.Reveal());
            Refusal.Names(e, "Join.UploadedCertificatesMismatch", "kubeadm-certs", "Publish-KubeControlPlaneCertificate");
            Assert.Contains(JoinLab.OpenSslPin(fx.CAPath), e.Message);
        }
        finally
        {
            fx.Delete("kube-system", "secret", "kubeadm-certs");
            fx.Delete("kube-system", "secret", "bootstrap-token-" + upload!.OwnerTokenId);
        }
    }

    // ---------------------------------------------------------------- Publish-KubeControlPlaneCertificate

    [Fact]
    public async Task Uploading_certificates_from_a_folder_that_is_not_a_control_planes_writes_nothing()
    {
        var dir = WorkDir("emptypki");
        Directory.CreateDirectory(dir);
        File.Copy(fx.CAPath, Path.Combine(dir, "ca.crt"));
        fx.Delete("kube-system", "secret", "kubeadm-certs");
        using var api = fx.AdminApi();
        var sink = new CapturingSink();
        var before = KubeSystemObjects();
        var e = await Assert.ThrowsAsync<KubeException>(() => ControlPlaneCertificates.PublishFromDirectoryAsync(api, dir, null, sink, CancellationToken.None));
        Refusal.Names(e, "Bootstrap.NotAControlPlane", dir, "control-plane");
        Assert.Contains("/etc/kubernetes/pki/ca.key", e.Message);
        Assert.DoesNotContain("/etc/kubernetes/pki/ca.crt,", e.Message);
        Assert.Empty(sink.Questions);
        Assert.Equal(before, KubeSystemObjects());
        Assert.False(fx.Exists("kube-system", "secret", "kubeadm-certs"));
    }

    // ---------------------------------------------------------------- Install-KubeNetworkPlugin

    [Fact]
    public async Task A_network_plugin_is_not_installed_when_neither_the_cluster_nor_the_caller_names_the_pod_network()
    {
        fx.ApplyKubeadmConfig(podSubnet: null);
        using var api = fx.AdminApi();
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAsync<KubeException>(() => NetworkPluginInstaller.InstallAsync(api, NetworkPluginKind.Flannel, null, null, null, sink, CancellationToken.None));
        Refusal.Names(e, "Network.PodSubnetUnknown", Lab.Server, "-PodSubnet");
        Assert.Contains("podSubnet", e.Message);
        Assert.Empty(sink.Questions);
        Assert.False(Lab.Kubectl("get", "namespace", "kube-flannel").ExitCode == 0);
        Assert.False(fx.Exists("kube-system", "serviceaccount", "flannel"));
    }

    [Fact]
    public async Task A_network_plugin_needs_the_API_servers_version_when_none_is_given()
    {
        using var server = ClusterInfoServer("noversion", null);
        using var api = new KubeApiClient(new KubeApiCredentials(new Uri($"https://{server.Endpoint}"), caPem: File.ReadAllText(fx.CAPath), bearerToken: "abcdef.0123456789abcdef"));
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAsync<KubeException>(() => NetworkPluginInstaller.InstallAsync(api, NetworkPluginKind.Calico, "10.244.0.0/16", null, null, sink, CancellationToken.None));
        Refusal.Names(e, "Network.VersionUnknown", $"https://{server.Endpoint}/", "-KubernetesVersion");
        Assert.Contains("404", e.Message);
        NoSecret(e, sink, "0123456789abcdef");
        Assert.Empty(sink.Questions);
        Assert.Equal(1, server.Requests);   // /version only: nothing was applied
    }

    // ---------------------------------------------------------------- Update-KubeCluster

    const string CpLabel = "node-role.kubernetes.io/control-plane";

    async Task<(KubeException Error, int Sessions, CapturingSink Sink)> UpgradeRefused()
    {
        using var api = fx.AdminApi();
        var sink = new CapturingSink();
        int sessions = 0;
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => UpgradeWorkflow.RunAsync(api, new UpgradeRequest { Version = KubeVersion.Parse(LabCluster.Version) },
            (_, _) => { Interlocked.Increment(ref sessions); return Task.FromResult(UntouchedNode.Session().Session); }, sink, CancellationToken.None));
        return (e, sessions, sink);
    }

    [Fact]
    public async Task An_upgrade_of_a_cluster_without_a_control_plane_node_is_refused_before_any_node_is_reached()
    {
        Lab.KubectlOk("label", "node", Lab.NodeName, CpLabel + "-", "node-role.kubernetes.io/master-");
        var before = KubeSystemObjects();
        var (e, sessions, sink) = await UpgradeRefused();
        var error = Refusal.Single(e, "Upgrade.NoControlPlane");
        Assert.Contains(CpLabel, error.Message);
        Assert.Contains("mark-control-plane", error.RecommendedAction);
        Assert.Equal(0, sessions);
        Assert.Empty(sink.Questions);
        Assert.Equal(before, KubeSystemObjects());
    }

    [Theory]
    [InlineData("kubeadm-config", "Upgrade.NoKubeadmConfig", "kubeadm")]
    [InlineData("kubelet-config", "Upgrade.NoKubeletConfig", "upload-config kubelet")]
    public async Task An_upgrade_of_a_cluster_without_a_kubeadm_ConfigMap_is_refused_before_any_node_is_reached(string configMap, string id, string hint)
    {
        Lab.KubectlOk("label", "--overwrite", "node", Lab.NodeName, CpLabel + "=");
        fx.Delete("kube-system", "configmap", configMap);
        try
        {
            var before = KubeSystemObjects();
            var (e, sessions, sink) = await UpgradeRefused();
            Refusal.Names(e, id, configMap, hint);
            Assert.Equal(0, sessions);
            Assert.Empty(sink.Questions);
            Assert.Equal(before, KubeSystemObjects());
        }
        finally
        {
            if (configMap == "kubeadm-config") fx.ApplyKubeadmConfig();
            else fx.ApplyKubeletConfig();
            Lab.KubectlOk("label", "node", Lab.NodeName, CpLabel + "-");
        }
    }

    // ---------------------------------------------------------------- Connect-KubeCluster -ControlPlane

    [Fact]
    public async Task Connecting_to_a_control_plane_whose_init_made_no_admin_kubeconfig_is_refused_naming_the_node()
    {
        using var temp = new TempDir();
        // A dry-run init of the certificates alone: no kubeconfig phase ran.
        var cp = await KubePS.Tests.Init.InitTestSupport.DryRunAsync(KubePS.Tests.Init.InitTestSupport.ExampleEcdsa, temp.File("dryrun"), tweak: r => r with { Phases = ["certs"] });
        Assert.Null(cp.AdminKubeConfig);
        var e = Assert.Throws<KubeException>(() => KubeClusterConnection.FromControlPlane(cp));
        Refusal.Names(e, "KubeConfig.NoAdminKubeConfig", cp.Node, "kubeconfig/admin");
        Assert.Contains(cp.Endpoint, e.Message);
    }
}
