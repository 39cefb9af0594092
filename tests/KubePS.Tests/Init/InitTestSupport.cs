using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KubePS.Core.Configuration;
using KubePS.Core.Operations;
using KubePS.Core.Workflows;
using KubePS.Core.Workflows.Init;
using Xunit;

namespace KubePS.Tests.Init;

/// <summary>Configurations, dry runs and judges shared by the init tests.</summary>
public static class InitTestSupport
{
    /// <summary>kubeadm 1.18 (v1beta2, dockershim era, master label and taint), no token given.</summary>
    public const string V118 = """
        apiVersion: kubeadm.k8s.io/v1beta2
        kind: InitConfiguration
        localAPIEndpoint:
          advertiseAddress: 192.168.10.11
          bindPort: 6443
        nodeRegistration:
          name: master
        ---
        apiVersion: kubeadm.k8s.io/v1beta2
        kind: ClusterConfiguration
        kubernetesVersion: v1.18.5
        networking:
          podSubnet: 10.244.0.0/16
        """;

    /// <summary>kubeadm 1.24 (v1beta3) with CRI-O and both control-plane taints of that release.</summary>
    public const string V124 = """
        apiVersion: kubeadm.k8s.io/v1beta3
        kind: InitConfiguration
        localAPIEndpoint:
          advertiseAddress: 10.1.0.5
        nodeRegistration:
          name: node-a
          criSocket: unix:///var/run/crio/crio.sock
        ---
        apiVersion: kubeadm.k8s.io/v1beta3
        kind: ClusterConfiguration
        kubernetesVersion: v1.24.17
        featureGates:
          PublicKeysECDSA: true
        networking:
          serviceSubnet: 10.112.0.0/16
          dnsDomain: k8s.internal
        """;

    /// <summary>The repository's example configuration (1.30.14, HA endpoint, mirror registry, ipvs).</summary>
    public static string Example => File.ReadAllText(Repo.Path_("examples", "kubeadm-config.yaml"));

    /// <summary>
    /// The example with kubeadm's PublicKeysECDSA gate on: the same files with P-256 keys, made in microseconds instead of
    /// ~0.2 s of CPU per RSA key, for the tests that are not about the keys themselves.
    /// </summary>
    public static string ExampleEcdsa => Example.Replace("kind: ClusterConfiguration\n", "kind: ClusterConfiguration\nfeatureGates:\n  PublicKeysECDSA: true\n");

    /// <summary>The v1beta4 example (ECDSA keys, list extraArgs, extraEnvs) for Kubernetes 1.31.</summary>
    public static string V131 => File.ReadAllText(Repo.Path_("examples", "kubeadm-config-v1beta4.yaml")).Replace("kubernetesVersion: v1.32.13", "kubernetesVersion: v1.31.14");

    public static KubeClusterConfiguration Config(string yaml) => KubeClusterConfiguration.Parse(yaml, "test");

    public static Task<KubeControlPlane> DryRunAsync(string yaml, string dir, IOperationSink? sink = null, Func<InitRequest, InitRequest>? tweak = null)
    {
        var request = new InitRequest { Configuration = Config(yaml), DryRunPath = dir };
        if (tweak is not null) request = tweak(request);
        return InitWorkflow.RunAsync(null, request, sink ?? new CapturingSink(), CancellationToken.None);
    }

    /// <summary>path relative to the dry-run folder → SHA-256 of the file, for every file in it.</summary>
    public static IReadOnlyDictionary<string, string> Snapshot(string dir) =>
        Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))))
            : new Dictionary<string, string>();

    /// <summary>The system python3 when it has PyYAML (a version manager's shim costs ~0.4 s a call), else python3 on PATH.</summary>
    static readonly Lazy<string> _python = new(() =>
        File.Exists("/usr/bin/python3") && Tool.Run("/usr/bin/python3", ["-c", "import yaml"]).ExitCode == 0 ? "/usr/bin/python3" : "python3");

    static string Python => _python.Value;

    /// <summary>A YAML file as JSON, read by PyYAML (the judge, not KubePS's own YAML code).</summary>
    public static JsonNode PyYaml(string path)
    {
        var r = Tool.Run(Python, ["-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1])), default=str))", path]);
        Assert.True(r.ExitCode == 0, $"PyYAML cannot read {path}: {r.Error}");
        return JsonNode.Parse(r.Output)!;
    }

    /// <summary>Every *.yaml file of a folder as JSON (file name → object), read by PyYAML in one run.</summary>
    public static IReadOnlyDictionary<string, JsonNode> PyYamlFolder(string dir)
    {
        var r = Tool.Run(Python, ["-c",
            "import sys, os, json, yaml; d = sys.argv[1]; print(json.dumps({f: yaml.safe_load(open(os.path.join(d, f))) for f in sorted(os.listdir(d)) if f.endswith('.yaml')}, default=str))",
            dir]);
        Assert.True(r.ExitCode == 0, $"PyYAML cannot read the files of {dir}: {r.Error}");
        return JsonNode.Parse(r.Output)!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!);
    }

    /// <summary>YAML text as JSON, read by PyYAML.</summary>
    public static JsonNode PyYamlText(string yaml)
    {
        var r = Tool.Run(Python, ["-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read()), default=str))"], stdin: yaml);
        Assert.True(r.ExitCode == 0, $"PyYAML cannot read the text: {r.Error}");
        return JsonNode.Parse(r.Output)!;
    }

    public static string Mode(string path) => OperatingSystem.IsWindows() ? "" : Convert.ToString((int)File.GetUnixFileMode(path) & 0xfff, 8);

    public static Tool.Result OpenSsl(params string[] args) => Tool.Run("openssl", args);

    /// <summary>kubectl with no kubeconfig of its own (so nothing on this machine leaks in).</summary>
    public static Tool.Result Kubectl(params string[] args) => Tool.Run("kubectl", args, env: new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent/kubeps-test" });

    public static string TempDir() => Tool.TempDir("init");

    public static void Delete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
