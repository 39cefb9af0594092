using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.Bootstrap;
using KubePS.Core.ClusterObjects;
using Xunit;

namespace KubePS.Tests.ClusterObjects;

public sealed class UploadCertsTests : ClusterObjectsTestBase
{
    static readonly DateTimeOffset Now = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    /// <summary>What the API server returns for a created token Secret: the rendered object plus metadata.uid.</summary>
    static JsonObject AsCreated(JsonObject rendered, string uid = "6d1f0c2e-1111-4b7a-9c51-0123456789ab")
    {
        var created = (JsonObject)rendered.DeepClone();
        created["metadata"]!["uid"] = uid;
        created["metadata"]!["resourceVersion"] = "812";
        return created;
    }

    Dictionary<string, byte[]?> LocalEtcdFiles()
    {
        // Real PEM material made by openssl: a CA cert and its key, a key pair for sa.key/sa.pub.
        var sa = Path.Combine(Dir, "sa.key");
        Tool.Run("openssl", ["genrsa", "-traditional", "-out", sa, "2048"]).OrThrow("openssl genrsa");
        var saPub = Path.Combine(Dir, "sa.pub");
        Tool.Run("openssl", ["rsa", "-in", sa, "-pubout", "-out", saPub]).OrThrow("openssl rsa -pubout");
        byte[] caCrt = File.ReadAllBytes(Ca.CertPath), caKey = File.ReadAllBytes(Ca.KeyPath);
        return new()
        {
            ["ca.crt"] = caCrt, ["ca.key"] = caKey,
            ["front-proxy-ca.crt"] = caCrt, ["front-proxy-ca.key"] = caKey,
            ["sa.key"] = File.ReadAllBytes(sa), ["sa.pub"] = File.ReadAllBytes(saPub),
            ["etcd-ca.crt"] = caCrt, ["etcd-ca.key"] = caKey,
        };
    }

    [Fact]
    public void Files_to_upload_are_kubeadms_set_with_slashes_turned_into_dashes()
    {
        // Facts §6.4: ca.crt/key, front-proxy-ca.crt/key, sa.key/pub, plus etcd-ca.crt/key (local etcd) or
        // external-etcd-ca.crt, external-etcd.crt, external-etcd.key (external etcd, from the configured paths).
        var local = UploadCertsObjects.FilesToUpload();
        Assert.Equal(["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub", "etcd-ca.crt", "etcd-ca.key"],
            local.Select(e => e.SecretKey));
        Assert.Equal("/etc/kubernetes/pki/etcd/ca.crt", local.Single(e => e.SecretKey == "etcd-ca.crt").Path);
        Assert.Equal("/etc/kubernetes/pki/sa.pub", local.Single(e => e.SecretKey == "sa.pub").Path);

        var external = UploadCertsObjects.FilesToUpload("/srv/pki/", new ExternalEtcdFiles("/etc/etcd/ca.pem", "/etc/etcd/client.pem", "/etc/etcd/client-key.pem"));
        Assert.Equal(["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub", "external-etcd-ca.crt", "external-etcd.crt", "external-etcd.key"],
            external.Select(e => e.SecretKey));
        Assert.Equal("/srv/pki/ca.key", external[1].Path);
        Assert.Equal("/etc/etcd/client-key.pem", external[^1].Path);
    }

    [Fact]
    public void Proxy_token_lives_two_hours_and_grants_nothing()
    {
        // Facts §6.4 and kubeadm's copycerts.go: description "Proxy for managing TTL for the kubeadm-certs secret",
        // TTL 2h, only description and TTL set: no usage-bootstrap-* keys, no auth-extra-groups.
        var token = UploadCertsObjects.ProxyTokenSecret(Now);
        Assert.Matches("^bootstrap-token-[a-z0-9]{6}$", (string)token["metadata"]!["name"]!);
        Assert.Equal("bootstrap.kubernetes.io/token", (string?)token["type"]);
        Assert.Equal("Proxy for managing TTL for the kubeadm-certs secret", DecodeData(token, "description"));
        Assert.Equal("2024-05-06T09:08:09Z", DecodeData(token, "expiration"));
        Assert.Equal(["description", "expiration", "token-id", "token-secret"], ((JsonObject)token["data"]!).Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Matches("^[a-z0-9]{16}$", DecodeData(token, "token-secret"));
        Assert.NotEqual(DecodeData(token, "token-secret"), DecodeData(UploadCertsObjects.ProxyTokenSecret(Now), "token-secret"));
    }

    [Fact]
    public void Kubeadm_certs_secret_round_trips_through_the_certificate_key_and_belongs_to_the_proxy_token()
    {
        var key = CertificateKey.Generate();
        var files = LocalEtcdFiles();
        var created = AsCreated(UploadCertsObjects.ProxyTokenSecret(Now));
        var secret = UploadCertsObjects.CertsSecret(files, key, KubeOwnerReference.Of(created));

        // Facts §6.4: kube-system/kubeadm-certs, Opaque, owner = the token Secret as a controller reference
        // (metav1.NewControllerRef: controller and blockOwnerDeletion true).
        Assert.Equal("kubeadm-certs", (string?)secret["metadata"]!["name"]);
        Assert.Equal("kube-system", (string?)secret["metadata"]!["namespace"]);
        Assert.Equal("Opaque", (string?)secret["type"]);
        var owner = Assert.Single((JsonArray)secret["metadata"]!["ownerReferences"]!)!;
        Assert.Equal("v1", (string?)owner["apiVersion"]);
        Assert.Equal("Secret", (string?)owner["kind"]);
        Assert.Equal((string?)created["metadata"]!["name"], (string?)owner["name"]);
        Assert.Equal("6d1f0c2e-1111-4b7a-9c51-0123456789ab", (string?)owner["uid"]);
        Assert.True((bool)owner["controller"]!);
        Assert.True((bool)owner["blockOwnerDeletion"]!);

        // Values are encrypted: no PEM text in the Secret, and an independent AES-GCM (Python's cryptography)
        // opens one with the hex key, nonce first.
        var data = (JsonObject)secret["data"]!;
        Assert.Equal(files.Keys.Order(StringComparer.Ordinal), data.Select(p => p.Key).Order(StringComparer.Ordinal));
        foreach (var (k, v) in data)
            Assert.DoesNotContain("BEGIN", Encoding.Latin1.GetString(Convert.FromBase64String((string)v!)));
        var script = "import sys,binascii,base64\nfrom cryptography.hazmat.primitives.ciphers.aead import AESGCM\n" +
                     "k=binascii.unhexlify(sys.argv[1]); d=base64.b64decode(sys.stdin.read().strip())\n" +
                     "sys.stdout.write(AESGCM(k).decrypt(d[:12], d[12:], None).decode())";
        var py = Tool.Run("python3", ["-c", script, key.Reveal()], (string)data["sa.pub"]!).OrThrow("python AESGCM");
        Assert.Equal(Encoding.ASCII.GetString(files["sa.pub"]!), py.Output);

        // download-certs: every file back, byte for byte, keys 0600 and certificates/public keys 0644.
        var decoded = UploadCertsObjects.DecodeCertsSecret(secret, key);
        Assert.Equal(8, decoded.Count);
        foreach (var f in decoded)
        {
            Assert.Equal(files[f.SecretKey], f.Content);
            Assert.Equal(f.SecretKey.EndsWith(".key", StringComparison.Ordinal) ? "600" : "644", Convert.ToString(f.Mode, 8));
        }
        Assert.Equal("/etc/kubernetes/pki/etcd/ca.key", decoded.Single(f => f.SecretKey == "etcd-ca.key").Path);
        Assert.All(decoded, f => Assert.DoesNotContain("BEGIN", f.ToString()));

        // The wrong key opens nothing.
        var ex = Assert.Throws<KubeException>(() => UploadCertsObjects.DecodeCertsSecret(secret, CertificateKey.Generate()));
        Assert.Equal("Bootstrap.CertificateKeyMismatch", ex.ErrorId);
        Assert.DoesNotContain(key.Reveal(), ex.Message);
    }

    [Fact]
    public void A_file_missing_on_the_node_is_stored_empty_and_skipped_on_download()
    {
        // Facts §6.4: missing files are stored as empty values and skipped on download.
        var key = CertificateKey.Generate();
        var files = LocalEtcdFiles();
        files.Remove("front-proxy-ca.key");
        files["front-proxy-ca.crt"] = null;
        var secret = UploadCertsObjects.CertsSecret(files, key, KubeOwnerReference.Of(AsCreated(UploadCertsObjects.ProxyTokenSecret(Now))));
        Assert.Equal("", (string?)secret["data"]!["front-proxy-ca.key"]);
        Assert.Equal("", (string?)secret["data"]!["front-proxy-ca.crt"]);
        var decoded = UploadCertsObjects.DecodeCertsSecret(secret, key);
        Assert.DoesNotContain(decoded, f => f.SecretKey.StartsWith("front-proxy", StringComparison.Ordinal));
        Assert.Equal(6, decoded.Count);
    }

    [Fact]
    public void Certs_secret_needs_a_created_owner_and_only_known_files()
    {
        var key = CertificateKey.Generate();
        var rendered = UploadCertsObjects.ProxyTokenSecret(Now);
        Assert.Equal("ClusterObjects.OwnerNotCreated", Assert.Throws<KubeException>(() => KubeOwnerReference.Of(rendered)).ErrorId);

        var owner = KubeOwnerReference.Of(AsCreated(rendered));
        var unknown = Assert.Throws<KubeException>(() => UploadCertsObjects.CertsSecret(new Dictionary<string, byte[]?> { ["etcd/ca.crt"] = [1] }, key, owner));
        Assert.Equal("ClusterObjects.UnknownCertsEntry", unknown.ErrorId);
        Assert.Contains("etcd-ca.crt", unknown.Message);

        // External etcd: the etcd CA of a local etcd is not part of the set, and a Secret of a local-etcd cluster
        // lacks the external files.
        var localSecret = UploadCertsObjects.CertsSecret(LocalEtcdFiles(), key, owner);
        var ex = Assert.Throws<KubeException>(() => UploadCertsObjects.DecodeCertsSecret(localSecret, key,
            externalEtcd: new ExternalEtcdFiles("/e/ca", "/e/crt", "/e/key")));
        Assert.Equal("ClusterObjects.KubeadmCertsIncomplete", ex.ErrorId);
    }

    [Fact]
    public void Kubeadm_certs_RBAC_lets_bootstrap_tokens_get_the_secret()
    {
        // Facts §5.2: Role kubeadm:kubeadm-certs (get secrets kubeadm-certs), RoleBinding to the bootstrap group.
        var objs = UploadCertsObjects.Rbac();
        var role = Find(objs, "Role", "kubeadm:kubeadm-certs");
        Assert.Equal(["secrets"], StringList(role["rules"]![0]!["resources"]));
        Assert.Equal(["kubeadm-certs"], StringList(role["rules"]![0]!["resourceNames"]));
        Assert.Equal(["get"], StringList(role["rules"]![0]!["verbs"]));
        var rb = Find(objs, "RoleBinding", "kubeadm:kubeadm-certs");
        var expected = Kubectl.Run("create", "rolebinding", "kubeadm:kubeadm-certs", "-n", "kube-system", "--role=kubeadm:kubeadm-certs",
            "--group=system:bootstrappers:kubeadm:default-node-token", "--dry-run=client", "-o", "json");
        Assert.True(JsonNode.DeepEquals(expected["subjects"], rb["subjects"]));
        Assert.True(JsonNode.DeepEquals(expected["roleRef"], rb["roleRef"]));

        using var discovery = new DiscoveryStub();
        var kubectlRole = Kubectl.RunWithServer(discovery.Url, "create", "role", "kubeadm:kubeadm-certs", "-n", "kube-system",
            "--verb=get", "--resource=secrets", "--resource-name=kubeadm-certs", "--dry-run=client", "-o", "json");
        Assert.True(JsonNode.DeepEquals(BootstrapTokenTests.Sorted(kubectlRole["rules"]), BootstrapTokenTests.Sorted(role["rules"])));
    }
}
