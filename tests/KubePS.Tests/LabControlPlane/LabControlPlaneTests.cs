using Xunit;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using KubePS.Tests.Lab;

namespace KubePS.Tests.LabControlPlane;

/// <summary>
/// Issue 4's "what must show", judged only with kubectl 1.32, etcdctl, openssl and curl: a hand-made one-node
/// control plane started by the lab kubelet (through the systemctl stand-in) comes up, and behaves like Kubernetes
/// where KubePS will depend on it.
/// </summary>
public sealed class LabControlPlaneTests(LabCluster lab, ITestOutputHelper output) : IClassFixture<LabCluster>
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    string Jsonpath(string resource, string path, string? ns = null)
    {
        var args = new List<string> { "get", resource, "-o", "jsonpath=" + path };
        if (ns is not null) { args.Add("-n"); args.Add(ns); }
        var r = lab.Kubectl([.. args]);
        return r.ExitCode == 0 ? r.Stdout : "ERROR " + r.All;
    }

    [Fact]
    public void Etcd_is_healthy_over_TLS_with_client_certificates()
    {
        var r = lab.Etcdctl("endpoint", "health");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("is healthy", r.All);
        // Objects live under /registry in etcd, written by the API server through the JSON gateway.
        var keys = lab.Etcdctl("get", "/registry/namespaces/kube-system", "--keys-only");
        Assert.Contains("/registry/namespaces/kube-system", keys.Stdout);
    }

    [Fact]
    public void Api_server_is_ready_and_reports_the_manifest_version()
    {
        Assert.Equal("ok", lab.KubectlOk("get", "--raw", "/readyz").Trim());
        var verbose = lab.KubectlOk("get", "--raw", "/readyz?verbose");
        Assert.Contains("[+]etcd ok", verbose);
        var version = JsonNode.Parse(lab.KubectlOk("version", "-o", "json"))!;
        Assert.Equal(LabCluster.Version, version["serverVersion"]?["gitVersion"]?.GetValue<string>());
    }

    [Fact]
    public void Node_registers_and_turns_Ready()
    {
        LabTools.WaitFor("node Ready", Wait, () =>
        {
            var s = Jsonpath("node/" + lab.NodeName, "{.status.conditions[?(@.type==\"Ready\")].status}");
            return (s == "True", s);
        });
        Assert.Equal(LabCluster.Version, Jsonpath("node/" + lab.NodeName, "{.status.nodeInfo.kubeletVersion}"));
        Assert.Equal("127.0.0.1", Jsonpath("node/" + lab.NodeName, "{.status.addresses[?(@.type==\"InternalIP\")].address}"));
        var table = lab.KubectlOk("get", "nodes");
        Assert.Matches($@"{lab.NodeName}\s+Ready\s", table);
        var lease = Jsonpath("lease/" + lab.NodeName, "{.spec.holderIdentity}", "kube-node-lease");
        Assert.Equal(lab.NodeName, lease);
    }

    [Fact]
    public void Mirror_pods_of_the_static_pods_are_listed_with_their_images()
    {
        var names = new[] { "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler" };
        LabTools.WaitFor("four running mirror pods", Wait, () =>
        {
            var r = lab.Kubectl("get", "pods", "-A");
            return (names.All(n => System.Text.RegularExpressions.Regex.IsMatch(r.Stdout, $@"kube-system\s+{n}-{lab.NodeName}\s+1/1\s+Running")), r.All);
        });
        Assert.Equal($"registry.k8s.io/kube-apiserver:{LabCluster.Version}",
            Jsonpath($"pod/kube-apiserver-{lab.NodeName}", "{.status.containerStatuses[0].image}", "kube-system"));
        var mirror = Jsonpath($"pod/etcd-{lab.NodeName}", "{.metadata.annotations.kubernetes\\.io/config\\.mirror}", "kube-system");
        Assert.Matches("^[0-9a-f]{32}$", mirror);
        Assert.Equal("Node", Jsonpath($"pod/etcd-{lab.NodeName}", "{.metadata.ownerReferences[0].kind}", "kube-system"));
    }

    void EnsureClusterInfo()
    {
        lab.Apply(KubeadmInitObjects.ClusterInfo(lab.Server, Convert.ToBase64String(File.ReadAllBytes(Path.Combine(lab.Pki, "ca.crt")))));
        lab.Apply(KubeadmInitObjects.BootstrapRbac);
    }

    [Fact]
    public void Bootstrap_signer_adds_a_JWS_for_a_new_token_that_openssl_verifies_and_removes_it_with_the_token()
    {
        EnsureClusterInfo();
        lab.Apply(KubeadmInitObjects.TokenSecret("jwstok", "0123456789abcdef"));
        string jws = "";
        LabTools.WaitFor("jws-kubeconfig-jwstok in cluster-info", Wait, () =>
        {
            jws = Jsonpath("configmap/cluster-info", "{.data.jws-kubeconfig-jwstok}", "kube-public");
            return (jws.StartsWith("eyJ"), jws);
        });
        // Anonymous discovery, as kubeadm join does: the cluster-info Role binds system:anonymous.
        var anon = LabTools.Run("curl", ["-sk", $"{lab.Server}/api/v1/namespaces/kube-public/configmaps/cluster-info"]);
        var cm = JsonNode.Parse(anon.Stdout)!;
        var kubeconfig = cm["data"]!["kubeconfig"]!.GetValue<string>();
        Assert.Equal(jws, cm["data"]!["jws-kubeconfig-jwstok"]!.GetValue<string>());

        // Recompute the HS256 signature with openssl over header.payload (detached JWS, key = token secret).
        var parts = jws.Split('.');
        Assert.Equal(3, parts.Length);
        Assert.Equal("", parts[1]);
        Assert.Equal("{\"alg\":\"HS256\",\"kid\":\"jwstok\"}", Encoding.UTF8.GetString(FromB64Url(parts[0])));
        var signingInput = parts[0] + "." + B64Url(Encoding.UTF8.GetBytes(kubeconfig));
        var macHex = LabTools.Bash($"printf '%s' '{signingInput}' | openssl dgst -sha256 -mac HMAC -macopt key:0123456789abcdef | awk '{{print $NF}}'").Stdout.Trim();
        Assert.Equal(macHex, Convert.ToHexString(FromB64Url(parts[2])).ToLowerInvariant());

        lab.KubectlOk("-n", "kube-system", "delete", "secret", "bootstrap-token-jwstok");
        LabTools.WaitFor("jws-kubeconfig-jwstok removed", Wait, () =>
        {
            var s = Jsonpath("configmap/cluster-info", "{.data}", "kube-public");
            return (!s.Contains("jws-kubeconfig-jwstok") && s.Contains("kubeconfig"), s);
        });
    }

    [Fact]
    public void A_legacy_service_account_token_signed_with_sa_key_authenticates_while_its_Secret_holds_it()
    {
        // What the token controller of releases before 1.22 wrote into kubernetes.io/service-account-token Secrets:
        // a JWT of issuer kubernetes/serviceaccount signed with --service-account-private-key-file (here made by openssl).
        lab.KubectlOk("create", "serviceaccount", "legacy-sa");
        var uid = Jsonpath("serviceaccount/legacy-sa", "{.metadata.uid}", "default");
        var header = B64Url(Encoding.UTF8.GetBytes("""{"alg":"RS256","kid":""}"""));
        var payload = B64Url(Encoding.UTF8.GetBytes(
            $$"""{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"default","kubernetes.io/serviceaccount/secret.name":"legacy-sa-token-abcde","kubernetes.io/serviceaccount/service-account.name":"legacy-sa","kubernetes.io/serviceaccount/service-account.uid":"{{uid}}","sub":"system:serviceaccount:default:legacy-sa"}"""));
        var sign = lab.Openssl($"printf '%s' '{header}.{payload}' | openssl dgst -sha256 -sign sa.key -binary | base64 -w0 | tr '+/' '-_' | tr -d '='");
        Assert.True(sign.ExitCode == 0, sign.ToString());
        var token = $"{header}.{payload}.{sign.Stdout.Trim()}";
        ToolResult WhoAmI() => LabTools.Run("kubectl", ["--server", lab.Server, "--certificate-authority", Path.Combine(lab.Pki, "ca.crt"), "--token", token,
            "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent" });
        // No Secret holds it yet: refused.
        Assert.NotEqual(0, WhoAmI().ExitCode);
        lab.Apply($$"""
            apiVersion: v1
            kind: Secret
            type: kubernetes.io/service-account-token
            metadata:
              name: legacy-sa-token-abcde
              namespace: default
              annotations: {"kubernetes.io/service-account.name": legacy-sa, "kubernetes.io/service-account.uid": "{{uid}}"}
            stringData:
              token: {{token}}
            """);
        var who = WhoAmI();
        Assert.True(who.ExitCode == 0, who.ToString());
        Assert.Equal("system:serviceaccount:default:legacy-sa", who.Stdout.Trim());
        // A token signed with another key is not one.
        var forged = token[..^4] + (token.EndsWith("AAAA") ? "BBBB" : "AAAA");
        Assert.NotEqual(0, LabTools.Run("kubectl", ["--server", lab.Server, "--certificate-authority", Path.Combine(lab.Pki, "ca.crt"), "--token", forged,
            "auth", "whoami"], new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent" }).ExitCode);
        lab.KubectlOk("delete", "secret", "legacy-sa-token-abcde");
        Assert.NotEqual(0, WhoAmI().ExitCode);
    }

    static string B64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    static byte[] FromB64Url(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }

    [Fact]
    public void Token_cleaner_deletes_an_expired_bootstrap_token()
    {
        lab.Apply(KubeadmInitObjects.TokenSecret("oldtok", "0123456789abcdef", expiration: DateTime.UtcNow.AddSeconds(-5).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")));
        LabTools.WaitFor("expired token secret deleted", Wait, () =>
        {
            var r = lab.Kubectl("-n", "kube-system", "get", "secret", "bootstrap-token-oldtok");
            return (r.ExitCode != 0 && r.All.Contains("NotFound"), r.All);
        });
    }

    [Fact]
    public void CSR_posted_with_a_bootstrap_token_is_auto_approved_and_signed_by_the_cluster_CA()
    {
        EnsureClusterInfo();
        lab.Apply(KubeadmInitObjects.TokenSecret("csrtok", "abcdef0123456789"));
        var dir = Path.Combine(lab.Root, "csr-test");
        Directory.CreateDirectory(dir);
        var make = LabTools.Bash("""
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout node.key -out node.csr \
              -subj "/O=system:nodes/CN=system:node:lab-worker9" 2>&1
            """, workDir: dir);
        Assert.True(make.ExitCode == 0, make.ToString());
        var body = new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1", ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new JsonObject { ["name"] = "csr-bootstrap-test" },
            ["spec"] = new JsonObject
            {
                ["request"] = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(dir, "node.csr"))),
                ["signerName"] = "kubernetes.io/kube-apiserver-client-kubelet",
                ["usages"] = new JsonArray("digital signature", "client auth"),
            },
        };
        var post = LabTools.Run("curl", ["-sS", "--cacert", Path.Combine(lab.Pki, "ca.crt"), "-H", "Authorization: Bearer csrtok.abcdef0123456789",
            "-H", "Content-Type: application/json", "-X", "POST", "--data-binary", "@-", "-w", "\n%{http_code}",
            $"{lab.Server}/apis/certificates.k8s.io/v1/certificatesigningrequests"], stdin: body.ToJsonString());
        Assert.True(post.Stdout.TrimEnd().EndsWith("201"), post.ToString());
        Assert.Equal("system:bootstrap:csrtok", JsonNode.Parse(post.Stdout[..post.Stdout.TrimEnd().LastIndexOf('\n')])!["spec"]!["username"]!.GetValue<string>());

        string certB64 = "";
        LabTools.WaitFor("CSR approved and issued", Wait, () =>
        {
            certB64 = Jsonpath("csr/csr-bootstrap-test", "{.status.certificate}");
            return (certB64.Length > 100, lab.Kubectl("get", "csr").All);
        });
        Assert.Matches(@"csr-bootstrap-test\s.*Approved,Issued", lab.KubectlOk("get", "csr"));
        Assert.Equal("AutoApproved", Jsonpath("csr/csr-bootstrap-test", "{.status.conditions[?(@.type==\"Approved\")].reason}"));
        File.WriteAllBytes(Path.Combine(dir, "node.crt"), Convert.FromBase64String(certB64));
        var verify = LabTools.Run("openssl", ["verify", "-CAfile", Path.Combine(lab.Pki, "ca.crt"), Path.Combine(dir, "node.crt")]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var text = LabTools.Run("openssl", ["x509", "-in", Path.Combine(dir, "node.crt"), "-noout", "-subject", "-ext", "extendedKeyUsage"]).Stdout;
        Assert.Contains("CN = system:node:lab-worker9", text);
        Assert.Contains("O = system:nodes", text);
        Assert.Contains("TLS Web Client Authentication", text);
        // The issued certificate now authenticates as the node.
        var who = LabTools.Run("curl", ["-sS", "--cacert", Path.Combine(lab.Pki, "ca.crt"), "--cert", Path.Combine(dir, "node.crt"),
            "--key", Path.Combine(dir, "node.key"), "-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
            "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}", $"{lab.Server}/apis/authentication.k8s.io/v1/selfsubjectreviews"]);
        Assert.Contains("system:node:lab-worker9", who.Stdout);

        // Renewal: the node asks for itself with its current certificate; selfnodeclient (kubeadm binds it to
        // system:nodes) approves it.
        LabTools.Bash("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout renew.key -out renew.csr -subj '/O=system:nodes/CN=system:node:lab-worker9' 2>&1", workDir: dir);
        body["metadata"]!["name"] = "csr-renewal-test";
        body["spec"]!["request"] = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(dir, "renew.csr")));
        var renew = LabTools.Run("curl", ["-sS", "--cacert", Path.Combine(lab.Pki, "ca.crt"), "--cert", Path.Combine(dir, "node.crt"),
            "--key", Path.Combine(dir, "node.key"), "-H", "Content-Type: application/json", "-X", "POST", "--data-binary", "@-",
            $"{lab.Server}/apis/certificates.k8s.io/v1/certificatesigningrequests"], stdin: body.ToJsonString());
        Assert.Contains("\"username\":\"system:node:lab-worker9\"", renew.Stdout);
        LabTools.WaitFor("renewal CSR approved as a self node client", Wait, () =>
        {
            var m = Jsonpath("csr/csr-renewal-test", "{.status.conditions[?(@.type==\"Approved\")].message}");
            return (m.Contains("self kubelet client certificate"), m);
        });
    }

    [Fact]
    public void A_CSR_for_another_identity_is_not_auto_approved()
    {
        EnsureClusterInfo();
        lab.Apply(KubeadmInitObjects.TokenSecret("badtok", "abcdef0123456780"));
        var dir = Path.Combine(lab.Root, "csr-bad");
        Directory.CreateDirectory(dir);
        LabTools.Bash("""
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout x.key -out x.csr -subj '/O=system:masters/CN=evil' 2>&1
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout n.key -out n.csr -subj '/O=system:nodes/CN=system:node:lab-worker8' 2>&1
            """, workDir: dir);
        string Csr(string name, string file) => $"""
            apiVersion: certificates.k8s.io/v1
            kind: CertificateSigningRequest
            metadata:
              name: {name}
            spec:
              request: {Convert.ToBase64String(File.ReadAllBytes(Path.Combine(dir, file)))}
              signerName: kubernetes.io/kube-apiserver-client-kubelet
              usages: [digital signature, client auth]
            """;
        var kc = lab.WriteFile("csr-bad/bootstrap.conf", lab.Kubeconfig("tls-bootstrap-token-user", token: "badtok.abcdef0123456780"));
        var r = lab.KubectlAs(kc, Csr("csr-not-a-node", "x.csr"), "create", "-f", "-");
        Assert.True(r.ExitCode == 0, r.ToString());
        // A node CSR created afterwards: once the approver has passed it, it has passed the other one too.
        Assert.Equal(0, lab.KubectlAs(kc, Csr("csr-a-node", "n.csr"), "create", "-f", "-").ExitCode);
        LabTools.WaitFor("the node CSR approved", Wait, () =>
        {
            var s = Jsonpath("csr/csr-a-node", "{.status.conditions[?(@.type==\"Approved\")].status}");
            return (s == "True", s);
        });
        Assert.Matches(@"csr-not-a-node\s.*Pending", lab.KubectlOk("get", "csr"));
    }

    [Fact]
    public void Client_certificate_from_another_CA_is_refused()
    {
        var other = lab.WriteFile("other.conf", lab.Kubeconfig("kubernetes-admin", "other/admin"));
        var r = lab.KubectlAs(other, null, "get", "nodes");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("Unauthorized", r.All);
        var anon = lab.KubectlAs(lab.WriteFile("anon.conf", lab.Kubeconfig("nobody", token: "nobody.notatokenatall")), null, "get", "nodes");
        Assert.NotEqual(0, anon.ExitCode);
        Assert.Contains("Unauthorized", anon.All);
    }

    [Fact]
    public void RBAC_forbids_what_no_binding_allows_and_allows_what_kubeadm_binds()
    {
        var r = lab.Kubectl("auth", "can-i", "list", "secrets", "-n", "kube-system", "--as", "system:bootstrap:abcdef",
            "--as-group", "system:bootstrappers", "--as-group", "system:bootstrappers:kubeadm:default-node-token");
        Assert.Equal("no", r.Stdout.Trim());
        EnsureClusterInfo();
        var ok = lab.Kubectl("auth", "can-i", "create", "certificatesigningrequests", "--as", "system:bootstrap:abcdef",
            "--as-group", "system:bootstrappers:kubeadm:default-node-token");
        Assert.Equal("yes", ok.Stdout.Trim());
        var forbidden = JsonNode.Parse(LabTools.Run("curl", ["-sS", "-k", $"{lab.Server}/api/v1/namespaces/kube-system/secrets"]).Stdout)!;
        Assert.Equal(403, forbidden["code"]!.GetValue<int>());
        Assert.Equal("Forbidden", forbidden["reason"]!.GetValue<string>());
        Assert.Contains("User \"system:anonymous\" cannot list resource \"secrets\"", forbidden["message"]!.GetValue<string>());
    }

    [Fact]
    public void Kubectl_create_apply_server_side_conflicts_and_delete_work()
    {
        lab.KubectlOk("create", "namespace", "lab-ssa");
        lab.KubectlOk("-n", "lab-ssa", "create", "configmap", "made", "--from-literal=a=1");
        Assert.Equal("1", Jsonpath("configmap/made", "{.data.a}", "lab-ssa"));
        const string cm = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: applied, namespace: lab-ssa, labels: {app: lab}}
            data: {x: "1", y: "2"}
            """;
        var a = lab.KubectlAs(null, cm, "apply", "--server-side", "--field-manager=kubeps", "-f", "-");
        Assert.True(a.ExitCode == 0, a.ToString());
        Assert.Contains("serverside-applied", a.Stdout);
        lab.KubectlOk("-n", "lab-ssa", "patch", "configmap", "applied", "--type=merge", "-p", "{\"data\":{\"x\":\"changed\"}}");
        var conflict = lab.KubectlAs(null, cm, "apply", "--server-side", "--field-manager=kubeps", "-f", "-");
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("conflict with \"kubectl-patch\"", conflict.All);
        Assert.Contains(".data.x", conflict.All);
        var forced = lab.KubectlAs(null, cm, "apply", "--server-side", "--force-conflicts", "--field-manager=kubeps", "-f", "-");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal("1", Jsonpath("configmap/applied", "{.data.x}", "lab-ssa"));
        // Fields the manager stops applying go away.
        var fewer = lab.KubectlAs(null, cm.Replace(", y: \"2\"", ""), "apply", "--server-side", "--field-manager=kubeps", "-f", "-");
        Assert.True(fewer.ExitCode == 0, fewer.ToString());
        Assert.DoesNotContain("\"y\"", Jsonpath("configmap/applied", "{.data}", "lab-ssa"));
        var client = lab.KubectlAs(null, cm.Replace("applied", "client-applied"), "apply", "-f", "-");
        Assert.True(client.ExitCode == 0, client.ToString());
        var labelled = lab.KubectlOk("-n", "lab-ssa", "get", "cm", "-l", "app=lab", "-o", "name");
        Assert.Contains("configmap/client-applied", labelled);
        Assert.DoesNotContain("configmap/made", labelled);
        var described = lab.KubectlOk("-n", "lab-ssa", "describe", "configmap", "applied");
        Assert.Contains("Name:", described);
        lab.KubectlOk("delete", "namespace", "lab-ssa");
        Assert.Contains("NotFound", lab.Kubectl("-n", "lab-ssa", "get", "configmap", "made").All);
    }

    [Fact]
    public void Server_side_apply_owns_items_of_keyed_lists_separately()
    {
        lab.KubectlOk("create", "namespace", "lab-ssa-lists");
        const string deploy = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: lab-ssa-lists}
            spec:
              replicas: 2
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: app
                    image: registry.k8s.io/pause:3.9
                  - name: sidecar
                    image: registry.k8s.io/pause:3.9
            """;
        Assert.Equal(0, lab.KubectlAs(null, deploy, "apply", "--server-side", "--field-manager=kubeps", "-f", "-").ExitCode);
        // Someone else changes the sidecar's image: the applier's own container stays its own.
        lab.KubectlOk("-n", "lab-ssa-lists", "set", "image", "deployment/web", "sidecar=registry.k8s.io/pause:3.10");
        var upgraded = lab.KubectlAs(null, deploy.Replace("      - name: sidecar\n        image: registry.k8s.io/pause:3.9\n", "")
            .Replace("pause:3.9", "pause:3.10"), "apply", "--server-side", "--field-manager=kubeps", "-f", "-");
        Assert.True(upgraded.ExitCode == 0, upgraded.ToString());
        Assert.Equal("registry.k8s.io/pause:3.10 registry.k8s.io/pause:3.10",
            Jsonpath("deployment/web", "{.spec.template.spec.containers[*].image}", "lab-ssa-lists"));
        // The sidecar, now owned by kubectl-set, survives the applier dropping it; changing it is a conflict.
        var conflict = lab.KubectlAs(null, deploy, "apply", "--server-side", "--field-manager=kubeps", "-f", "-");
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("conflict with \"kubectl-set\"", conflict.All);
        Assert.Contains(".spec.template.spec.containers[name=\"sidecar\"].image", conflict.All);
        Assert.Equal("3", Jsonpath("deployment/web", "{.metadata.generation}", "lab-ssa-lists"));  // create, set image, apply
        lab.KubectlOk("delete", "namespace", "lab-ssa-lists");
    }

    [Fact]
    public void Conflicting_update_with_a_stale_resourceVersion_gets_409()
    {
        lab.KubectlOk("-n", "default", "create", "configmap", "rv-test", "--from-literal=a=1");
        var obj = JsonNode.Parse(lab.KubectlOk("-n", "default", "get", "configmap", "rv-test", "-o", "json"))!.AsObject();
        lab.KubectlOk("-n", "default", "patch", "configmap", "rv-test", "--type=merge", "-p", "{\"data\":{\"a\":\"2\"}}");
        obj["data"]!["a"] = "3";
        var r = lab.KubectlAs(null, obj.ToJsonString(), "replace", "-f", "-");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("the object has been modified", r.All);
    }

    [Fact]
    public void Concurrent_patches_that_name_no_resourceVersion_all_apply_and_a_stale_pinned_one_gets_409()
    {
        // As with the real API server, a patch without a resourceVersion is applied again to the newer object when a
        // concurrent write got in first (kubectl cordon while the kubelet updates the Node's status): 24 merge patches
        // sent at once by curl all succeed.
        lab.KubectlOk("-n", "default", "create", "configmap", "patch-race");
        var race = LabTools.Bash($$$"""
            for i in $(seq 1 24); do
              curl -s -o /dev/null -w '%{http_code}\n' --cacert ca.crt --cert admin.crt --key admin.key -X PATCH \
                -H 'Content-Type: application/merge-patch+json' -d "{\"data\":{\"k$i\":\"v\"}}" \
                {{{lab.Server}}}/api/v1/namespaces/default/configmaps/patch-race &
            done
            wait
            """, workDir: lab.Pki);
        Assert.Equal(Enumerable.Repeat("200", 24), race.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(24, JsonNode.Parse(lab.KubectlOk("-n", "default", "get", "configmap", "patch-race", "-o", "jsonpath={.data}"))!.AsObject().Count);
        var stale = lab.Kubectl("-n", "default", "patch", "configmap", "patch-race", "--type=merge", "-p", "{\"metadata\":{\"resourceVersion\":\"1\"},\"data\":{\"x\":\"y\"}}");
        Assert.NotEqual(0, stale.ExitCode);
        Assert.Contains("the object has been modified", stale.All);
    }

    [Fact]
    public void Cordon_uncordon_and_drain_with_evictions_honour_daemonsets_and_disruption_budgets()
    {
        var node = lab.NodeName;
        lab.KubectlOk("create", "namespace", "lab-drain");
        lab.Apply("""
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: agent, namespace: lab-drain}
            spec:
              selector:
                matchLabels: {app: agent}
              template:
                metadata: {labels: {app: agent}}
                spec: {containers: [{name: c, image: "registry.k8s.io/pause:3.9"}]}
            """);
        var dsUid = Jsonpath("daemonset/agent", "{.metadata.uid}", "lab-drain");
        lab.Apply($$"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: agent-x1
              namespace: lab-drain
              labels: {app: agent}
              ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: "{{dsUid}}", controller: true}]
            spec:
              nodeName: {{node}}
              tolerations: [{operator: Exists}]
              containers: [{name: c, image: "registry.k8s.io/pause:3.9"}]
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: lab-drain
              labels: {app: web}
            spec:
              nodeName: {{node}}
              containers: [{name: c, image: "registry.k8s.io/pause:3.9"}]
            ---
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: web, namespace: lab-drain}
            spec:
              minAvailable: 1
              selector:
                matchLabels: {app: web}
            """);
        try
        {
            lab.KubectlOk("cordon", node);
            Assert.Matches($@"{node}\s+Ready,SchedulingDisabled", lab.KubectlOk("get", "nodes"));
            lab.KubectlOk("uncordon", node);
            Assert.Equal("", Jsonpath("node/" + node, "{.spec.unschedulable}"));

            // A running, ready pod protected by minAvailable=1 cannot be evicted: drain retries until its timeout.
            lab.KubectlOk("-n", "lab-drain", "patch", "pod", "web", "--subresource=status", "--type=merge", "-p",
                "{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
            var blocked = lab.Kubectl("drain", node, "--ignore-daemonsets", "--force", "--pod-selector=app=web", "--timeout=3s");
            Assert.NotEqual(0, blocked.ExitCode);
            Assert.Contains("Cannot evict pod as it would violate the pod's disruption budget", blocked.All);

            lab.KubectlOk("-n", "lab-drain", "delete", "pdb", "web");
            var drained = lab.Kubectl("drain", node, "--ignore-daemonsets", "--force", "--timeout=30s");
            Assert.True(drained.ExitCode == 0, drained.ToString());
            Assert.Contains("evicting pod lab-drain/web", drained.All);
            Assert.Contains("ignoring DaemonSet-managed Pods: lab-drain/agent-x1", drained.All);
            Assert.Contains("NotFound", lab.Kubectl("-n", "lab-drain", "get", "pod", "web").All);
            Assert.Equal("agent-x1", Jsonpath("pod/agent-x1", "{.metadata.name}", "lab-drain"));
            // Mirror pods are never evicted.
            Assert.Contains($"kube-apiserver-{node}", lab.KubectlOk("-n", "kube-system", "get", "pods"));
        }
        finally
        {
            lab.Kubectl("uncordon", node);
            lab.Kubectl("delete", "namespace", "lab-drain");
        }
    }

    [Fact]
    public void Scheduler_binds_pending_pods_to_a_ready_node_whose_taints_they_tolerate()
    {
        lab.KubectlOk("create", "namespace", "lab-sched");
        try
        {
            lab.KubectlOk("taint", "node", lab.NodeName, "lab/dedicated=x:NoSchedule");
            lab.Apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: plain, namespace: lab-sched}
                spec: {containers: [{name: c, image: "registry.k8s.io/pause:3.9"}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: tolerant, namespace: lab-sched}
                spec:
                  tolerations: [{key: lab/dedicated, operator: Exists, effect: NoSchedule}]
                  containers: [{name: c, image: "registry.k8s.io/pause:3.9"}]
                """);
            LabTools.WaitFor("tolerant pod bound", Wait, () =>
            {
                var n = Jsonpath("pod/tolerant", "{.spec.nodeName}", "lab-sched");
                return (n == lab.NodeName, n);
            });
            Assert.Equal("True", Jsonpath("pod/tolerant", "{.status.conditions[?(@.type==\"PodScheduled\")].status}", "lab-sched"));
            Assert.Equal("", Jsonpath("pod/plain", "{.spec.nodeName}", "lab-sched"));
            lab.KubectlOk("taint", "node", lab.NodeName, "lab/dedicated-");
            LabTools.WaitFor("plain pod bound after the taint went", Wait, () =>
            {
                var n = Jsonpath("pod/plain", "{.spec.nodeName}", "lab-sched");
                return (n == lab.NodeName, n);
            });
        }
        finally
        {
            lab.Kubectl("taint", "node", lab.NodeName, "lab/dedicated-");
            lab.Kubectl("delete", "namespace", "lab-sched");
        }
    }

    [Fact]
    public void Api_server_faults_answer_500_and_429_while_set()
    {
        // Services in "default" are read by nobody but this test, so the single injected failure is ours.
        var post = lab.KubectlAs(null, "{\"code\":500,\"count\":1,\"pathPrefix\":\"/api/v1/namespaces/default/services\"}",
            "create", "--raw", "/lab/faults", "-f", "-");
        Assert.True(post.ExitCode == 0, post.ToString());
        var failed = lab.Kubectl("-n", "default", "get", "services");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("InternalError", failed.All);
        Assert.Equal(0, lab.Kubectl("-n", "default", "get", "services").ExitCode);

        // A fault file makes every /api request answer 429 until the file is removed.
        var faultFile = Path.Combine(lab.Root, "lab", "apiserver-fault.json");
        Directory.CreateDirectory(Path.GetDirectoryName(faultFile)!);
        File.WriteAllText(faultFile, "{\"code\":429,\"pathPrefix\":\"/api/v1/namespaces/default/services\",\"retryAfterSeconds\":1}");
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var raw = LabTools.Run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code} %header{retry-after}", "--cacert", Path.Combine(lab.Pki, "ca.crt"),
                    "--cert", Path.Combine(lab.Pki, "admin.crt"), "--key", Path.Combine(lab.Pki, "admin.key"), $"{lab.Server}/api/v1/namespaces/default/services"]);
                Assert.Equal("429 1", raw.Stdout.Trim());
            }
        }
        finally { File.Delete(faultFile); }
        Assert.Equal(0, lab.Kubectl("-n", "default", "get", "services").ExitCode);

        // Only admins may inject faults.
        var anon = LabTools.Run("curl", ["-sS", "-k", "-X", "POST", "-d", "{\"code\":500}", $"{lab.Server}/lab/faults"]);
        Assert.Contains("\"code\":403", anon.Stdout);
    }

    [Fact]
    public void A_crashed_component_is_restarted_with_back_off_and_its_exit_shows_in_the_mirror_pod()
    {
        // etcd: it holds no leader lease, so the crash costs the other tests nothing but a second of etcd downtime.
        var before = int.Parse(Jsonpath($"pod/etcd-{lab.NodeName}", "{.status.containerStatuses[0].restartCount}", "kube-system"));
        var kill = lab.KubeletLab("POST", "/lab/pods/etcd/kill");
        Assert.Contains("\"done\":true", kill.Stdout);
        LabTools.WaitFor("etcd restarted and running", Wait, () =>
        {
            var s = Jsonpath($"pod/etcd-{lab.NodeName}", "{.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].lastState.terminated.exitCode} {.status.phase}", "kube-system");
            return (s == $"{before + 1} 137 Running", s);
        });
    }

    [Fact]
    public void Stopping_etcd_makes_the_API_server_unready_until_etcd_is_back()
    {
        Assert.Contains("\"done\":true", lab.KubeletLab("POST", "/lab/pods/etcd/hold").Stdout);
        try
        {
            LabTools.WaitFor("readyz to fail on etcd", Wait, () =>
            {
                var r = lab.Kubectl("get", "--raw", "/readyz?verbose");
                return (r.ExitCode != 0 && r.All.Contains("[-]etcd failed"), r.All);
            });
            Assert.NotEqual(0, lab.Etcdctl("endpoint", "health").ExitCode);
        }
        finally { lab.KubeletLab("POST", "/lab/pods/etcd/release"); }
        LabTools.WaitFor("readyz ok again", Wait, () =>
        {
            var r = lab.Kubectl("get", "--raw", "/readyz");
            return (r.ExitCode == 0, r.All);
        });
    }

    [Fact]
    public void A_changed_manifest_restarts_the_component_with_the_new_image_and_a_removed_one_stops_it()
    {
        var path = Path.Combine(lab.Manifests, "kube-scheduler.yaml");
        var original = File.ReadAllText(path);
        try
        {
            File.WriteAllText(path, lab.SchedulerManifest("registry.k8s.io/kube-scheduler:v1.31.2"));
            LabTools.WaitFor("mirror pod with the new image", Wait, () =>
            {
                var s = Jsonpath($"pod/kube-scheduler-{lab.NodeName}", "{.spec.containers[0].image} {.status.containerStatuses[0].image} {.status.phase}", "kube-system");
                return (s == "registry.k8s.io/kube-scheduler:v1.31.2 registry.k8s.io/kube-scheduler:v1.31.2 Running", s);
            });
            File.Move(path, Path.Combine(lab.Root, "kube-scheduler.yaml.off"));
            LabTools.WaitFor("scheduler mirror pod gone and process stopped", Wait, () =>
            {
                var r = lab.Kubectl("-n", "kube-system", "get", "pod", $"kube-scheduler-{lab.NodeName}");
                var procs = LabTools.ProcessesMentioning(Path.Combine(lab.Root, "etc/kubernetes/scheduler.conf"));
                return (r.All.Contains("NotFound") && procs.Count == 0, r.All + $" processes: {procs.Count}");
            });
        }
        finally
        {
            File.Delete(Path.Combine(lab.Root, "kube-scheduler.yaml.off"));
            File.WriteAllText(path, original);
        }
        LabTools.WaitFor("scheduler back", Wait, () =>
        {
            var s = Jsonpath($"pod/kube-scheduler-{lab.NodeName}", "{.status.phase}", "kube-system");
            return (s == "Running", s);
        });
    }

    [Fact]
    public void Systemctl_stand_in_reports_the_kubelet_and_restarting_it_keeps_the_static_pods()
    {
        Assert.Equal("active", lab.Systemctl("is-active", "kubelet").Stdout.Trim());
        Assert.Equal("enabled", lab.Systemctl("is-enabled", "kubelet").Stdout.Trim());
        var apiPids = LabTools.ProcessesMentioning($"--secure-port={lab.ApiPort}");
        Assert.NotEmpty(apiPids);
        Assert.Equal(0, lab.Systemctl("restart", "kubelet").ExitCode);
        LabTools.WaitFor("kubelet healthz", Wait, () =>
        {
            var r = LabTools.Run("curl", ["-s", $"http://127.0.0.1:{lab.KubeletHealthPort}/healthz"]);
            return (r.Stdout == "ok", r.All);
        });
        // The API server process was adopted, not restarted.
        Assert.Equal(apiPids.Order(), LabTools.ProcessesMentioning($"--secure-port={lab.ApiPort}").Order());
        Assert.Contains("adopted running process", lab.Tail("var/log/kubelet.log", 200));
        Assert.Equal("ok", lab.KubectlOk("get", "--raw", "/readyz").Trim());
        output.WriteLine(lab.Systemctl("status", "kubelet").Stdout);
    }

    [Fact]
    public void A_worker_kubelet_joins_with_a_bootstrap_token_and_turns_NotReady_when_it_stops()
    {
        EnsureClusterInfo();
        lab.Apply(KubeadmInitObjects.TokenSecret("wrktok", "0123456789worker"));
        var root = Path.Combine(lab.Root, "worker1");
        var port = LabTools.FreePort();
        lab.WriteFile("worker1/var/lib/kubelet/config.yaml", LabCluster.KubeletConfig(null, null, port));
        lab.WriteFile("worker1/etc/kubernetes/bootstrap-kubelet.conf", lab.Kubeconfig("tls-bootstrap-token-user", token: "wrktok.0123456789worker"));
        var log = Path.Combine(root, "kubelet.log");
        using var kubelet = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/sh",
            ["-c", $"exec \"$0\" kubelet \"$@\" >{log} 2>&1", LabTools.LabExe, $"--lab-root={root}",
             $"--config={root}/var/lib/kubelet/config.yaml", $"--kubeconfig={root}/etc/kubernetes/kubelet.conf",
             $"--bootstrap-kubeconfig={root}/etc/kubernetes/bootstrap-kubelet.conf", "--hostname-override=lab-worker1", "--node-ip=127.0.0.2",
             "--register-with-taints=lab/worker=true:NoSchedule", "--node-labels=lab/pool=workers"]) { UseShellExecute = false })!;
        try
        {
            LabTools.WaitFor("worker node Ready", Wait, () =>
            {
                var s = Jsonpath("node/lab-worker1", "{.status.conditions[?(@.type==\"Ready\")].status}");
                return (s == "True", s + "\n" + (File.Exists(log) ? File.ReadAllText(log) : ""));
            });
            Assert.Equal("lab/worker=true:NoSchedule", Jsonpath("node/lab-worker1", "{.spec.taints[0].key}={.spec.taints[0].value}:{.spec.taints[0].effect}"));
            Assert.Equal("workers", Jsonpath("node/lab-worker1", "{.metadata.labels.lab/pool}"));
            // kubelet.conf points at kubelet-client-current.pem, a certificate for the node signed by the cluster CA.
            var kubeconfig = File.ReadAllText(Path.Combine(root, "etc/kubernetes/kubelet.conf"));
            var pem = Path.Combine(root, "var/lib/kubelet/pki/kubelet-client-current.pem");
            Assert.Contains($"client-certificate: {pem}", kubeconfig);
            Assert.Contains($"client-key: {pem}", kubeconfig);
            var verify = LabTools.Run("openssl", ["verify", "-CAfile", Path.Combine(lab.Pki, "ca.crt"), pem]);
            Assert.True(verify.ExitCode == 0, verify.ToString());
            Assert.Contains("CN = system:node:lab-worker1", LabTools.Run("openssl", ["x509", "-in", pem, "-noout", "-subject"]).Stdout);
            Assert.Matches(@"node-csr-\S+\s.*system:bootstrap:wrktok\s.*Approved,Issued", lab.KubectlOk("get", "csr"));
        }
        finally
        {
            kubelet.Kill(true);
            kubelet.WaitForExit(10000);
        }
        LabTools.WaitFor("worker NotReady after its kubelet stopped", Wait, () =>
        {
            var r = lab.Kubectl("get", "node", "lab-worker1");
            return (System.Text.RegularExpressions.Regex.IsMatch(r.Stdout, @"lab-worker1\s+NotReady"), r.All);
        });
        Assert.Contains("node.kubernetes.io/unreachable", Jsonpath("node/lab-worker1", "{.spec.taints}"));
        lab.KubectlOk("delete", "node", "lab-worker1");
    }

    [Fact]
    public void Api_server_with_an_etcd_client_certificate_from_another_CA_does_not_come_up()
    {
        var r = LabTools.Run(LabTools.LabExe, ["apiserver", $"--etcd-servers=https://127.0.0.1:{lab.EtcdPort}",
            $"--etcd-cafile={lab.Pki}/etcd/ca.crt", $"--etcd-certfile={lab.Pki}/other/admin.crt", $"--etcd-keyfile={lab.Pki}/other/admin.key",
            $"--secure-port={LabTools.FreePort()}", $"--tls-cert-file={lab.Pki}/apiserver.crt", $"--tls-private-key-file={lab.Pki}/apiserver.key",
            $"--client-ca-file={lab.Pki}/ca.crt", "--lab-etcd-startup-timeout=2s"], timeout: TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("cannot reach etcd", r.Stderr);
    }

    [Theory]
    [InlineData("apiserver", "--tls-cert-file", "--tls-cert-file/--tls-private-key-file certificate")]
    [InlineData("controller-manager", "--cluster-signing-key-file", "--cluster-signing-cert-file/--cluster-signing-key-file key")]
    [InlineData("kubelet", "--config", "failed to load kubelet config file")]
    public void Components_refuse_to_start_when_a_file_they_need_is_missing(string component, string flag, string message)
    {
        var missing = Path.Combine(lab.Root, "does-not-exist", "file");
        string[] args = component switch
        {
            "apiserver" => [$"--etcd-servers=https://127.0.0.1:{lab.EtcdPort}", $"--etcd-cafile={lab.Pki}/etcd/ca.crt",
                $"--etcd-certfile={lab.Pki}/apiserver-etcd-client.crt", $"--etcd-keyfile={lab.Pki}/apiserver-etcd-client.key",
                $"--tls-private-key-file={lab.Pki}/apiserver.key"],
            "controller-manager" => [$"--kubeconfig={lab.Root}/etc/kubernetes/controller-manager.conf", $"--cluster-signing-cert-file={lab.Pki}/ca.crt"],
            _ => [],
        };
        var r = LabTools.Run(LabTools.LabExe, [component, .. args, $"{flag}={missing}"], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Contains(missing, r.Stderr);
    }
}
