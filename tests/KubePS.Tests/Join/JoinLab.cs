using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.KubeConfigs;
using KubePS.Tests.Lab;
using KubePS.Tests.LabControlPlane;
using Xunit;

namespace KubePS.Tests.Join;

[CollectionDefinition(Name)]
public sealed class JoinLabCollection : ICollectionFixture<JoinLab>
{
    public const string Name = "JoinLab";
}

/// <summary>
/// One lab control plane (LabCluster: openssl PKI, real etcd, the API server and controller-manager stand-ins with the
/// bootstrap signer and token cleaner) shared by the join tests, with what kubeadm init's bootstrap-token phase leaves
/// behind written by hand through kubectl: cluster-info (one cluster named "", the admin.conf server and CA) and the
/// RBAC that lets anonymous clients read it and token-authenticated kubelets bootstrap. Nothing of it comes from KubePS.
/// </summary>
public sealed class JoinLab : IDisposable
{
    public LabCluster Lab { get; } = new();

    public JoinLab()
    {
        Lab.Apply(KubeadmInitObjects.ClusterInfo(Lab.Server, Convert.ToBase64String(File.ReadAllBytes(CAPath))));
        Lab.Apply(KubeadmInitObjects.BootstrapRbac);
    }

    public string CAPath => Path.Combine(Lab.Pki, "ca.crt");
    public string Endpoint => $"127.0.0.1:{Lab.ApiPort}";

    /// <summary>The CA pin as openssl computes it: sha256 over the DER SubjectPublicKeyInfo.</summary>
    public static string OpenSslPin(string certPath)
    {
        var r = LabTools.Bash($"openssl x509 -pubkey -noout -in '{certPath}' | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1");
        if (r.ExitCode != 0 || r.Stdout.Trim().Length != 64) throw new InvalidOperationException("openssl pin failed: " + r);
        return "sha256:" + r.Stdout.Trim();
    }

    /// <summary>An admin client from admin.conf.</summary>
    public KubeApiClient AdminApi() => new(KubeConfigCredentials.From(KubeConfigFactory.Load(Lab.AdminConf), Lab.AdminConf));

    /// <summary>A token Secret written with kubectl, as kubeadm would store it.</summary>
    public void CreateToken(string id, string secret, DateTimeOffset? expires = null, string usages = "true", string? groups = "system:bootstrappers:kubeadm:default-node-token")
    {
        var exp = (expires ?? DateTimeOffset.UtcNow.AddHours(2)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        Lab.Apply(KubeadmInitObjects.TokenSecret(id, secret, exp, usages, groups));
    }

    /// <summary>Waits until the controller-manager's bootstrap signer has signed cluster-info for the token id.</summary>
    public string WaitSigned(string id)
    {
        string jws = "";
        LabTools.WaitFor($"jws-kubeconfig-{id} in cluster-info", TimeSpan.FromSeconds(30), () =>
        {
            var r = Lab.Kubectl("-n", "kube-public", "get", "configmap", "cluster-info", "-o", $"jsonpath={{.data.jws-kubeconfig-{id}}}");
            jws = r.Stdout.Trim();
            return (r.ExitCode == 0 && jws.StartsWith("eyJ", StringComparison.Ordinal), r.All);
        });
        return jws;
    }

    /// <summary>cluster-info as an anonymous client gets it (curl, no TLS verification).</summary>
    public JsonObject ClusterInfo() =>
        (JsonObject)JsonNode.Parse(LabTools.Run("curl", ["-sk", $"{Lab.Server}/api/v1/namespaces/kube-public/configmaps/cluster-info"]).Stdout)!;

    /// <summary>A Secret's data, base64-decoded, as kubectl returns it.</summary>
    public Dictionary<string, string>? SecretData(string name)
    {
        var r = Lab.Kubectl("-n", "kube-system", "get", "secret", name, "-o", "json");
        if (r.ExitCode != 0) return null;
        var data = JsonNode.Parse(r.Stdout)!["data"] as JsonObject ?? [];
        return data.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetString(Convert.FromBase64String((string?)kv.Value ?? "")));
    }

    public void Dispose() => Lab.Dispose();
}
