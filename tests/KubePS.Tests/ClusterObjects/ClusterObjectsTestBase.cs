using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.ClusterObjects;

/// <summary>A temp dir and a CA made by openssl (not by KubePS), for tests that render cluster objects.</summary>
public abstract class ClusterObjectsTestBase : IDisposable
{
    protected ClusterObjectsTestBase()
    {
        Dir = Tool.TempDir("clobj");
        Ca = new OpenSslCa(Path.Combine(Dir, "pki"), "ca");
        CaPem = File.ReadAllText(Ca.CertPath);
    }

    protected string Dir { get; }
    protected OpenSslCa Ca { get; }
    protected string CaPem { get; }

    protected ClusterObjectsRequest Cluster(string version, string? imageRepository = null, string serviceSubnet = "10.96.0.0/12",
        string? podSubnet = null, string dnsDomain = "cluster.local", string endpoint = "https://10.0.1.171:6443", string? advertise = null) =>
        new()
        {
            Version = KubeVersion.Parse(version),
            ControlPlaneEndpoint = endpoint,
            CACertificatePem = CaPem,
            ImageRepository = imageRepository,
            ServiceSubnet = serviceSubnet,
            PodSubnet = podSubnet,
            DnsDomain = dnsDomain,
            AdvertiseAddress = advertise,
        };

    protected static JsonObject Find(IEnumerable<JsonObject> objects, string kind, string name) =>
        Assert.Single(objects, o => (string?)o["kind"] == kind && (string?)o["metadata"]!["name"] == name);

    protected static string[] StringList(JsonNode? node) => ((JsonArray)node!).Select(n => (string)n!).ToArray();

    protected static string DecodeData(JsonObject secret, string key) => Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]![key]!));

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}
