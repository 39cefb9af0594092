using System.Text.Json.Nodes;
using KubePS.Core.Bootstrap;
using KubePS.Core.ClusterObjects;
using Xunit;

namespace KubePS.Tests.ClusterObjects;

public sealed class SecretsAndYamlTests : ClusterObjectsTestBase
{
    [Fact]
    public void No_token_secret_certificate_key_or_private_key_shows_in_any_ToString()
    {
        const string secret = "0123456789abcdef";
        var spec = new BootstrapTokenSpec("abcdef." + secret);
        var key = CertificateKey.Generate();
        var owner = new KubeOwnerReference("v1", "Secret", "bootstrap-token-abcdef", "uid-1");
        var files = new Dictionary<string, byte[]?> { ["ca.key"] = File.ReadAllBytes(Ca.KeyPath), ["ca.crt"] = File.ReadAllBytes(Ca.CertPath) };
        var certs = UploadCertsObjects.CertsSecret(files, key, owner);
        var decoded = UploadCertsObjects.DecodeCertsSecret(certs, key);
        var settings = new KubeProxySettings { Mode = "ipvs" };
        var cluster = Cluster("1.30.14");

        var texts = new List<string> { spec.ToString(), key.ToString(), owner.ToString(), settings.ToString(), cluster.ToString() };
        texts.AddRange(decoded.Select(d => d.ToString()));
        foreach (var t in texts)
        {
            Assert.DoesNotContain(secret, t);
            Assert.DoesNotContain(key.Reveal(), t, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("PRIVATE KEY", t);
        }
    }

    [Fact]
    public void Yaml_writer_quotes_whatever_would_read_back_as_another_type()
    {
        // PyYAML (YAML 1.1, as go-yaml reads it) must read back exactly the JSON tree that was written.
        var fields = new JsonObject
        {
            ["plain"] = "ipvs",
            ["empty"] = "",
            ["yesWord"] = "yes",
            ["offWord"] = "Off",
            ["nullWord"] = "null",
            ["tilde"] = "~",
            ["number"] = "10",
            ["float"] = "1.5",
            ["hex"] = "0x1F",
            ["octal"] = "0o17",
            ["date"] = "2024-01-02",
            ["time"] = "12:30",
            ["colon"] = "a: b",
            ["hash"] = "x #y",
            ["leadingDash"] = "-v",
            ["star"] = "*ref",
            ["spaces"] = " padded ",
            ["multiLine"] = "line1\nline2",
            ["unicode"] = "Zürich",
            ["realNumber"] = 2.5,
            ["realInt"] = 42,
            ["realBool"] = true,
            ["realNull"] = null,
            ["emptyMap"] = new JsonObject(),
            ["emptyList"] = new JsonArray(),
            ["list"] = new JsonArray("a", "yes", new JsonObject { ["k"] = "v", ["n"] = 1 }, new JsonArray("x", "y")),
            ["nested"] = new JsonObject { ["deeper"] = new JsonObject { ["on"] = "on", ["list"] = new JsonArray(1, 2) } },
            ["weird key: here"] = "v",
        };
        string yaml = YamlTree.Write(fields);
        var back = JsonNode.Parse(Tool.Run("python3", ["-c", "import sys,yaml,json; print(json.dumps(yaml.safe_load(sys.stdin.read())))"], yaml)
            .OrThrow("python yaml").Output);
        Assert.True(JsonNode.DeepEquals(fields, back), $"wrote:\n{yaml}\nread back: {back?.ToJsonString()}");

        // And KubePS's own reader types plain scalars the same way for the documents users hand in.
        var read = YamlTree.Read(yaml, "test");
        Assert.True(JsonNode.DeepEquals(fields, read), read?.ToJsonString());
    }
}
