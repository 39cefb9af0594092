using Xunit;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;
using System.Text.RegularExpressions;

namespace KubePS.Tests.Pki;

/// <summary>
/// Compares KubePS's output with what real kubeadm wrote (shared/kubeadm-reference: v1.18.2 node master,
/// v1.30.14 node ip-10-0-1-171), everything but random material: subject, issuer, extensions and their order,
/// SAN lists in order, validity arithmetic, serial style, kubeconfig YAML shape. openssl reads both sides.
/// </summary>
public sealed class GoldenReferenceTests : IClassFixture<GoldenReferenceTests.Sets>
{
    public sealed class Sets : IDisposable
    {
        readonly TempDir _temp = new();
        readonly Dictionary<string, string> _dirs = new();
        readonly object _lock = new();

        public string? Reference => Repo.Reference;

        /// <summary>Our pki and kubeconfigs for the reference tree's version, node and advertise address.</summary>
        public string Ours(string version)
        {
            lock (_lock)
            {
                if (_dirs.TryGetValue(version, out var d)) return d;
                var (node, adv) = version == "v1.18.2" ? ("master", "192.168.162.131") : ("ip-10-0-1-171", "10.0.1.171");
                var request = new PkiRequest { NodeName = node, AdvertiseAddress = adv, KubernetesVersion = KubeVersion.Parse(version) };
                var pki = KubePkiBuilder.Create(request);
                var dir = Path.Combine(_temp.Path, version);
                pki.Export(Path.Combine(dir, "pki"));
                foreach (var f in KubeConfigFactory.CreateControlPlaneSet(request, pki.CA)) f.Save(dir);
                _dirs[version] = dir;
                return dir;
            }
        }

        public void Dispose() => _temp.Dispose();
    }

    readonly Sets _sets;
    public GoldenReferenceTests(Sets sets) => _sets = sets;

    public static IEnumerable<object[]> Certificates()
    {
        foreach (var v in new[] { "v1.18.2", "v1.30.14" })
            foreach (var f in new[]
                     {
                         "ca.crt", "apiserver.crt", "apiserver-kubelet-client.crt", "front-proxy-ca.crt", "front-proxy-client.crt",
                         "etcd/ca.crt", "etcd/server.crt", "etcd/peer.crt", "etcd/healthcheck-client.crt", "apiserver-etcd-client.crt",
                     })
                yield return [v, f];
    }

    (string Ref, string Ours)? Pair(string version, string relative)
    {
        var reference = _sets.Reference ?? throw new InvalidOperationException("reference tree absent: the tests should have been skipped");
        return (Path.Combine(reference, version, relative), Path.Combine(_sets.Ours(version), relative));
    }

    static string Signer(string file) => file switch
    {
        "ca.crt" or "apiserver.crt" or "apiserver-kubelet-client.crt" => "ca.crt",
        "front-proxy-ca.crt" or "front-proxy-client.crt" => "front-proxy-ca.crt",
        _ => "etcd/ca.crt",
    };

    [ReferenceTheory]
    [MemberData(nameof(Certificates))]
    public void Subject_issuer_and_string_types_equal_real_kubeadms(string version, string file)
    {
        var (r, o) = Pair(version, "pki/" + file)!.Value;
        Assert.Equal(Tool.Subject(r), Tool.Subject(o));
        Assert.Equal(Tool.Issuer(r), Tool.Issuer(o));
        Assert.Equal(Tool.SubjectAsn1(r), Tool.SubjectAsn1(o));
    }

    [ReferenceTheory]
    [MemberData(nameof(Certificates))]
    public void Extension_list_and_order_equal_real_kubeadms(string version, string file)
    {
        var (r, o) = Pair(version, "pki/" + file)!.Value;
        Assert.Equal(Tool.ExtensionLines(r), Tool.ExtensionLines(o));
        foreach (var ext in new[] { "Key Usage", "Extended Key Usage", "Basic Constraints" })
            Assert.Equal(Tool.Cert(r).Extension(ext), Tool.Cert(o).Extension(ext));
    }

    [ReferenceTheory]
    [MemberData(nameof(Certificates))]
    public void SAN_list_and_order_equal_real_kubeadms(string version, string file)
    {
        var (r, o) = Pair(version, "pki/" + file)!.Value;
        Assert.Equal(Tool.Sans(r), Tool.Sans(o));
    }

    [ReferenceTheory]
    [MemberData(nameof(Certificates))]
    public void Validity_arithmetic_serial_style_and_algorithms_equal_real_kubeadms(string version, string file)
    {
        var (r, o) = Pair(version, "pki/" + file)!.Value;
        var (rs, os) = (Span(r), Span(o));
        bool isCA = Signer(file) == file;
        if (isCA) Assert.Equal(rs, os);
        else
        {
            // Leaves: NotBefore = CA NotBefore; span = 365d (+5m backdate) + the seconds between CA and leaf signing.
            Assert.Equal(Tool.Date(Path.Combine(Path.GetDirectoryName(r)![..r.LastIndexOf("/pki", StringComparison.Ordinal)], "pki", Signer(file)), "startdate"), Tool.Date(r, "startdate"));
            Assert.Equal(Tool.Date(Path.Combine(Path.GetDirectoryName(o)![..o.LastIndexOf("/pki", StringComparison.Ordinal)], "pki", Signer(file)), "startdate"), Tool.Date(o, "startdate"));
            Assert.InRange(os - rs, TimeSpan.FromSeconds(-10), TimeSpan.FromSeconds(10));
            Assert.Equal(Math.Floor(rs.TotalMinutes / 5), Math.Floor(os.TotalMinutes / 5));
        }
        Assert.Equal(Tool.Serial(r) == "00", Tool.Serial(o) == "00");
        static string Algo(string f)
        {
            var text = Tool.Cert(f).Text;
            return string.Join("|", new[] { @"Version: \d", @"Signature Algorithm: \S+", @"Public-Key: \(\d+ bit\)", @"Exponent: \d+" }
                .Select(p => Regex.Match(text, p).Value));
        }
        Assert.Equal(Algo(r), Algo(o));
    }

    static TimeSpan Span(string f) => Tool.Date(f, "enddate") - Tool.Date(f, "startdate");

    public static IEnumerable<object[]> KubeConfigs() =>
    [
        ["v1.18.2", "admin.conf"], ["v1.18.2", "controller-manager.conf"], ["v1.18.2", "scheduler.conf"], ["v1.30.14", "admin.conf"],
    ];

    [ReferenceTheory]
    [MemberData(nameof(KubeConfigs))]
    public void Kubeconfig_yaml_is_line_for_line_real_kubeadms_but_for_the_data(string version, string file)
    {
        var (r, o) = Pair(version, file)!.Value;
        static string Mask(string text) => Regex.Replace(text, @"(-data: ).*", "$1<data>");
        Assert.Equal(Mask(File.ReadAllText(r)), Mask(File.ReadAllText(o)));
    }

    [ReferenceTheory]
    [MemberData(nameof(KubeConfigs))]
    public void Kubeconfig_client_certificate_equals_real_kubeadms_in_shape(string version, string file)
    {
        var (r, o) = Pair(version, file)!.Value;
        using var tmp = new TempDir();
        string Extract(string path, string name)
        {
            var b64 = Regex.Match(File.ReadAllText(path), @"client-certificate-data: (\S+)").Groups[1].Value;
            var target = tmp.File(name);
            File.WriteAllBytes(target, Convert.FromBase64String(b64));
            return target;
        }
        var rc = Extract(r, "ref.crt");
        var oc = Extract(o, "ours.crt");
        Assert.Single(Regex.Matches(File.ReadAllText(oc), "BEGIN CERTIFICATE"));
        Assert.Equal(Tool.Subject(rc), Tool.Subject(oc));
        Assert.Equal(Tool.Issuer(rc), Tool.Issuer(oc));
        Assert.Equal(Tool.ExtensionLines(rc), Tool.ExtensionLines(oc));
        Assert.Equal(Tool.Cert(rc).Extension("Extended Key Usage"), Tool.Cert(oc).Extension("Extended Key Usage"));
        // CA data is the exact ca.crt bytes (trailing newline included).
        var caData = Regex.Match(File.ReadAllText(o), @"certificate-authority-data: (\S+)").Groups[1].Value;
        Assert.Equal(File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(o)!, "pki", "ca.crt")), Convert.FromBase64String(caData));
    }
}

/// <summary>A theory skipped, with the reason, when shared/kubeadm-reference is absent.</summary>
public sealed class ReferenceTheoryAttribute : TheoryAttribute
{
    public ReferenceTheoryAttribute()
    {
        if (Repo.Reference is null)
            Skip = "shared/kubeadm-reference is absent (expected at ../shared/kubeadm-reference from the folder that holds KubePS.sln)";
    }
}
