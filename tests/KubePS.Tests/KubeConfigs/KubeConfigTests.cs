#pragma warning disable CA1416 // these tests run on Linux: file modes are part of what they judge
using System.Text.Json;
using Xunit;
using KubePS.Core;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;
using KubePS.Tests.Pki;

namespace KubePS.Tests.KubeConfigs;

/// <summary>Kubeconfigs judged by kubectl (config view --raw -o json) and openssl, against kubeadm-facts §2.</summary>
public sealed class KubeConfigTests : IClassFixture<KubeConfigTests.Set>
{
    public sealed class Set : IDisposable
    {
        public readonly TempDir Dir = new();
        public readonly PkiRequest Request = new()
        {
            NodeName = "cp1", AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.30.14"),
            ControlPlaneEndpoint = "lb.example.com", ClusterName = "prod",
        };
        public readonly KubePki Pki;
        public readonly IReadOnlyList<KubeConfigFile> Files;

        public Set()
        {
            Pki = KubePkiBuilder.Create(Request);
            Pki.Export(Path.Combine(Dir.Path, "pki"));
            Files = KubeConfigFactory.CreateControlPlaneSet(Request, Pki.CA);
            foreach (var f in Files) f.Save(Dir.Path);
        }

        public void Dispose() => Dir.Dispose();
    }

    readonly Set _set;
    public KubeConfigTests(Set set) => _set = set;

    static JsonElement KubectlView(string file)
    {
        var r = Tool.Run("/usr/bin/kubectl", "config", "view", "--raw", "-o", "json", "--kubeconfig", file);
        Assert.True(r.ExitCode == 0, r.All);
        return JsonDocument.Parse(r.Output).RootElement;
    }

    [Theory]
    [InlineData("admin.conf", "kubernetes-admin", "/O=kubeadm:cluster-admins/CN=kubernetes-admin", "https://lb.example.com:6443")]
    [InlineData("super-admin.conf", "kubernetes-super-admin", "/O=system:masters/CN=kubernetes-super-admin", "https://lb.example.com:6443")]
    [InlineData("kubelet.conf", "system:node:cp1", "/O=system:nodes/CN=system:node:cp1", "https://lb.example.com:6443")]
    [InlineData("controller-manager.conf", "system:kube-controller-manager", "/CN=system:kube-controller-manager", "https://10.0.0.11:6443")]
    [InlineData("scheduler.conf", "system:kube-scheduler", "/CN=system:kube-scheduler", "https://10.0.0.11:6443")]
    public void Kubectl_reads_each_kubeconfig_with_kubeadms_names_server_and_CA(string file, string user, string subject, string server)
    {
        var path = _set.Dir.File(file);
        Assert.Equal(Convert.ToInt32("600", 8), (int)File.GetUnixFileMode(path));
        var j = KubectlView(path);
        Assert.Equal($"{user}@prod", j.GetProperty("current-context").GetString());
        var cluster = j.GetProperty("clusters")[0];
        Assert.Equal("prod", cluster.GetProperty("name").GetString());
        Assert.Equal(server, cluster.GetProperty("cluster").GetProperty("server").GetString());
        var ca = Convert.FromBase64String(cluster.GetProperty("cluster").GetProperty("certificate-authority-data").GetString()!);
        Assert.Equal(File.ReadAllBytes(_set.Dir.File("pki/ca.crt")), ca);
        var ctx = j.GetProperty("contexts")[0];
        Assert.Equal($"{user}@prod", ctx.GetProperty("name").GetString());
        Assert.Equal("prod", ctx.GetProperty("context").GetProperty("cluster").GetString());
        Assert.Equal(user, ctx.GetProperty("context").GetProperty("user").GetString());
        var u = j.GetProperty("users")[0];
        Assert.Equal(user, u.GetProperty("name").GetString());

        using var t = new TempDir();
        File.WriteAllBytes(t.File("client.crt"), Convert.FromBase64String(u.GetProperty("user").GetProperty("client-certificate-data").GetString()!));
        File.WriteAllBytes(t.File("client.key"), Convert.FromBase64String(u.GetProperty("user").GetProperty("client-key-data").GetString()!));
        Assert.Equal(subject, Tool.Subject(t.File("client.crt")));
        Assert.Contains(": OK", Tool.OpenSsl("verify", "-CAfile", _set.Dir.File("pki/ca.crt"), t.File("client.crt")));
        Assert.Contains("TLS Web Client Authentication", Tool.OpenSsl("x509", "-noout", "-ext", "extendedKeyUsage", "-in", t.File("client.crt")));
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----", File.ReadAllText(t.File("client.key")));
        Assert.Equal(Tool.OpenSsl("x509", "-noout", "-pubkey", "-in", t.File("client.crt")), Tool.OpenSsl("pkey", "-pubout", "-in", t.File("client.key")));
    }

    [Fact]
    public void Kubeconfig_client_certificate_NotBefore_is_the_CAs_and_lasts_a_year()
    {
        using var t = new TempDir();
        var admin = _set.Files.Single(f => f.Role == KubeConfigRole.Admin);
        File.WriteAllText(t.File("c.crt"), admin.ClientCertificate!.CertificatePem);
        Assert.Equal(Tool.Date(_set.Dir.File("pki/ca.crt"), "startdate"), Tool.Date(t.File("c.crt"), "startdate"));
        var span = Tool.Date(t.File("c.crt"), "enddate") - Tool.Date(t.File("c.crt"), "startdate");
        Assert.InRange(span, TimeSpan.FromDays(365) + TimeSpan.FromMinutes(5), TimeSpan.FromDays(365) + TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Version_1_18_admin_is_in_system_masters_and_has_no_super_admin()
    {
        var ca = KubePkiBuilder.CreateCA(CertificateProfiles.Ca, KubeVersion.Parse("1.18.2"), KeyAlgorithm.EcdsaP256);
        var admin = KubeConfigFactory.Create(new KubeConfigRequest { Role = KubeConfigRole.Admin, AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.18.2"), KeyAlgorithm = KeyAlgorithm.EcdsaP256 }, ca);
        Assert.Equal(["system:masters"], admin.ClientCertificate!.Organizations);
        var e = Assert.Throws<KubeException>(() => KubeConfigFactory.Create(
            new KubeConfigRequest { Role = KubeConfigRole.SuperAdmin, AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.28") }, ca));
        Assert.Equal("KubeConfig.NoSuperAdmin", e.ErrorId);
        Assert.Equal(4, KubeConfigFactory.CreateControlPlaneSet(new PkiRequest { NodeName = "cp1", AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.28"), KeyAlgorithm = KeyAlgorithm.EcdsaP256 }, ca).Count);
    }

    [Theory]
    [InlineData(null, "10.0.0.11", 6443, "https://10.0.0.11:6443")]
    [InlineData("lb.example.com", "10.0.0.11", 6443, "https://lb.example.com:6443")]
    [InlineData("lb.example.com:8443", "10.0.0.11", 6443, "https://lb.example.com:8443")]
    [InlineData("10.0.0.100", "10.0.0.11", 7443, "https://10.0.0.100:7443")]
    [InlineData("[fd00::100]:6443", "fd00::11", 6443, "https://[fd00::100]:6443")]
    [InlineData("fd00::100", "fd00::11", 6443, "https://[fd00::100]:6443")]
    [InlineData(null, "fd00::11", 6443, "https://[fd00::11]:6443")]
    public void Control_plane_endpoint_URL_follows_kubeadms_rules(string? endpoint, string adv, int port, string expected) =>
        Assert.Equal(expected, KubeConfigFactory.ControlPlaneUrl(endpoint, adv, port));

    [Fact]
    public void Bootstrap_and_user_kubeconfigs_read_back_through_kubectl_and_hide_their_secrets()
    {
        using var t = new TempDir();
        const string token = "abcdef.0123456789abcdef";
        var boot = KubeConfigFactory.Create(new KubeConfigRequest { Role = KubeConfigRole.Bootstrap, Token = token, Server = "https://10.0.0.11:6443" }, _set.Pki.CA);
        var path = boot.Save(t.Path);
        Assert.EndsWith("bootstrap-kubelet.conf", path);
        var j = KubectlView(path);
        Assert.Equal("tls-bootstrap-token-user@kubernetes", j.GetProperty("current-context").GetString());
        Assert.Equal(token, j.GetProperty("users")[0].GetProperty("user").GetProperty("token").GetString());

        var user = KubeConfigFactory.Create(new KubeConfigRequest
        {
            KeyAlgorithm = KeyAlgorithm.EcdsaP256, Role = KubeConfigRole.User, UserName = "jane", Groups = ["dev", "ops"], ControlPlaneEndpoint = "lb.example.com", Validity = TimeSpan.FromDays(30),
        }, _set.Pki.CA);
        var userPath = user.Save(t.File("jane.conf"));
        var uj = KubectlView(userPath);
        Assert.Equal("jane@kubernetes", uj.GetProperty("current-context").GetString());
        File.WriteAllText(t.File("jane.crt"), user.ClientCertificate!.CertificatePem);
        Assert.Equal("/O=dev/O=ops/CN=jane", Tool.Subject(t.File("jane.crt")));

        var parsed = KubeConfigFactory.Load(path);
        foreach (var text in new[] { boot.ToString(), parsed.ToString(), parsed.Users[0].ToString(), parsed.Users[0].User.ToString(), user.ToString(), user.Config.Users[0].User.ToString() })
        {
            Assert.DoesNotContain("0123456789abcdef", text);
            Assert.DoesNotContain("PRIVATE", text);
        }
        var bad = Assert.Throws<KubeException>(() => KubeConfigFactory.Create(new KubeConfigRequest { Role = KubeConfigRole.Bootstrap, Token = "secret-token-value" }, _set.Pki.CA));
        Assert.Equal("KubeConfig.InvalidToken", bad.ErrorId);
        Assert.DoesNotContain("secret-token-value", bad.Message);
    }

    [Fact]
    public void Where_a_kubeconfig_goes_is_settled_before_anything_is_made()
    {
        using var t = new TempDir();
        Assert.Equal(t.File("admin.conf"), KubeConfigFile.Destination(t.Path, "admin.conf"));
        Assert.Equal(t.File("my.conf"), KubeConfigFile.Destination(t.File("my.conf"), "admin.conf"));
        var missing = Path.Combine(t.Path, "no-such-folder");
        var e = Assert.Throws<KubeException>(() => KubeConfigFile.Destination(Path.Combine(missing, "admin.conf"), "admin.conf"));
        Assert.Equal("KubeConfig.FolderMissing", e.ErrorId);
        Assert.Contains(missing, e.Message);
        Assert.False(Directory.Exists(missing));
        Assert.Empty(Directory.GetFileSystemEntries(t.Path));   // nothing written on the way
    }

    [Fact]
    public void Reader_parses_a_kubeconfig_that_kubectl_wrote()
    {
        using var t = new TempDir();
        var file = t.File("k.conf");
        var env = new Dictionary<string, string>();
        void Kubectl(params string[] args)
        {
            var all = new List<string>(args) { "--kubeconfig", file };
            var r = Tool.Run("/usr/bin/kubectl", all, env: env);
            Assert.True(r.ExitCode == 0, r.All);
        }
        Kubectl("config", "set-cluster", "c1", "--server=https://[fd00::1]:6443", $"--certificate-authority={_set.Dir.File("pki/ca.crt")}", "--embed-certs=true");
        Kubectl("config", "set-credentials", "u1", "--token=abcdef.0123456789abcdef");
        Kubectl("config", "set-context", "ctx", "--cluster=c1", "--user=u1", "--namespace=kube-system");
        Kubectl("config", "use-context", "ctx");
        var parsed = KubeConfigFactory.Load(file);
        Assert.Equal("ctx", parsed.CurrentContext);
        Assert.Equal("https://[fd00::1]:6443", parsed.Server);
        Assert.Equal(File.ReadAllBytes(_set.Dir.File("pki/ca.crt")), parsed.CurrentCluster!.CertificateAuthorityData);
        Assert.Equal("kube-system", parsed.Contexts[0].Context.Namespace);
        Assert.True(parsed.CurrentUser!.HasToken);
        Assert.Null(KubeConfigFactory.ValidateExisting(parsed, file, _set.Pki.CA, "https://[fd00::1]:6443"));
        Assert.Contains("unexpected API server URL", KubeConfigFactory.ValidateExisting(parsed, file, _set.Pki.CA, "https://10.0.0.11:6443"));
        var otherCA = KubePkiBuilder.CreateCA(CertificateProfiles.Ca, KubeVersion.Parse("1.30.14"), KeyAlgorithm.EcdsaP256);
        Assert.Equal("KubeConfig.CAMismatch", Assert.Throws<KubeException>(() => KubeConfigFactory.ValidateExisting(parsed, file, otherCA, "https://[fd00::1]:6443")).ErrorId);
    }

    [Fact]
    public void Expiry_inventory_lists_certificates_then_CAs_as_kubeadm_check_expiration()
    {
        var rows = CertificateInventory.Get(_set.Dir.File("pki"));
        Assert.Equal(
            [
                "admin.conf", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client", "controller-manager.conf", "etcd-healthcheck-client",
                "etcd-peer", "etcd-server", "front-proxy-client", "scheduler.conf", "super-admin.conf", "ca", "etcd-ca", "front-proxy-ca",
            ],
            rows.Select(r => r.Name));
        foreach (var r in rows)
        {
            Assert.False(r.ExternallyManaged);
            var file = r.Path.EndsWith(".conf", StringComparison.Ordinal) ? null : r.Path;
            if (file is not null) Assert.Equal(Tool.Date(file, "enddate"), r.NotAfter);
            Assert.InRange(r.ResidualTime.TotalDays, r.IsCA ? 3649 : 364, r.IsCA ? 3651 : 366);
        }
        Assert.Equal("etcd-ca", rows.Single(r => r.Name == "etcd-server").CAName);
        Assert.Equal("ca", rows.Single(r => r.Name == "admin.conf").CAName);
        Assert.DoesNotContain(rows, r => r.ResidualTime < TimeSpan.FromDays(30));
    }

    [Fact]
    public void Expiry_inventory_marks_certificates_of_a_keyless_CA_as_externally_managed()
    {
        using var t = new TempDir();
        _set.Pki.Export(t.File("pki"));
        File.Delete(t.File("pki/front-proxy-ca.key"));
        var rows = CertificateInventory.Get(t.File("pki"));
        Assert.True(rows.Single(r => r.Name == "front-proxy-client").ExternallyManaged);
        Assert.True(rows.Single(r => r.Name == "front-proxy-ca").ExternallyManaged);
        Assert.False(rows.Single(r => r.Name == "apiserver").ExternallyManaged);
    }
}

/// <summary>Renewal of a kubeconfig's client certificate, judged by kubectl and openssl.</summary>
public sealed class KubeConfigRenewalTests
{
    [Fact]
    public void Renewed_admin_conf_keeps_identity_and_server_with_a_new_certificate_and_key()
    {
        using var t = new TempDir();
        var version = KubeVersion.Parse("1.30.14");
        var ca = KubePkiBuilder.CreateCA(CertificateProfiles.Ca, version, KeyAlgorithm.EcdsaP256);
        File.WriteAllText(t.File("ca.crt"), ca.CertificatePem);
        var admin = KubeConfigFactory.Create(new KubeConfigRequest
        {
            Role = KubeConfigRole.Admin, AdvertiseAddress = "10.0.0.11", ControlPlaneEndpoint = "lb.example.com", KubernetesVersion = version, KeyAlgorithm = KeyAlgorithm.EcdsaP256,
        }, ca);
        var path = admin.Save(t.File("admin.conf"));
        var renewed = KubeConfigFactory.RenewClientCertificate(KubeConfigFactory.Load(path), path, ca, version, DateTimeOffset.UtcNow.AddDays(2));
        KubeConfigFactory.Save(renewed, t.File("renewed.conf"));
        Assert.Equal(Convert.ToInt32("600", 8), (int)File.GetUnixFileMode(t.File("renewed.conf")));

        var r = Tool.Run("/usr/bin/kubectl", "config", "view", "--raw", "-o", "json", "--kubeconfig", t.File("renewed.conf"));
        Assert.Equal(0, r.ExitCode);
        var j = JsonDocument.Parse(r.Output).RootElement;
        Assert.Equal("https://lb.example.com:6443", j.GetProperty("clusters")[0].GetProperty("cluster").GetProperty("server").GetString());
        Assert.Equal("kubernetes-admin@kubernetes", j.GetProperty("current-context").GetString());
        var user = j.GetProperty("users")[0].GetProperty("user");
        File.WriteAllBytes(t.File("new.crt"), Convert.FromBase64String(user.GetProperty("client-certificate-data").GetString()!));
        File.WriteAllBytes(t.File("new.key"), Convert.FromBase64String(user.GetProperty("client-key-data").GetString()!));
        File.WriteAllText(t.File("old.crt"), admin.ClientCertificate!.CertificatePem);
        Assert.Equal(Tool.Subject(t.File("old.crt")), Tool.Subject(t.File("new.crt")));
        Assert.NotEqual(Tool.Serial(t.File("old.crt")), Tool.Serial(t.File("new.crt")));
        Assert.True(Tool.Date(t.File("new.crt"), "enddate") > Tool.Date(t.File("old.crt"), "enddate"));
        Assert.Contains(": OK", Tool.OpenSsl("verify", "-CAfile", t.File("ca.crt"), t.File("new.crt")));
        Assert.Equal(Tool.OpenSsl("x509", "-noout", "-pubkey", "-in", t.File("new.crt")), Tool.OpenSsl("pkey", "-pubout", "-in", t.File("new.key")));
        Assert.NotEqual(Tool.OpenSsl("x509", "-noout", "-pubkey", "-in", t.File("old.crt")), Tool.OpenSsl("x509", "-noout", "-pubkey", "-in", t.File("new.crt")));
    }
}
