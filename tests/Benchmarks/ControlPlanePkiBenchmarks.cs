using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;

namespace KubePS.Benchmarks;

/// <summary>
/// A whole control-plane node's PKI (3 CAs, 7 certificates, sa key pair) plus admin, kubelet, controller-manager and
/// scheduler kubeconfigs, written to a folder: the same set bench/openssl-pki.sh makes with the openssl command line.
/// RSA key generation dominates and its duration is random, so the job runs many iterations and reports medians.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class ControlPlanePkiBenchmarks
{
    sealed class Config : ManualConfig
    {
        public Config()
        {
            // ShortRun's launch and warmup counts, with enough iterations for a meaningful median of a random duration.
            AddJob(Job.ShortRun.WithIterationCount(25).WithWarmupCount(2).WithId("ShortRun-25"));
            AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median, BenchmarkDotNet.Columns.StatisticColumn.Min, BenchmarkDotNet.Columns.StatisticColumn.Max);
        }
    }

    [Params("RSA-2048", "ECDSA-P256")]
    public string KeyAlgorithm { get; set; } = "RSA-2048";

    string _root = "";
    int _n;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "kubeps-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark(Description = "PKI + 4 kubeconfigs, written")]
    public int ControlPlane()
    {
        var dir = Path.Combine(_root, (_n++).ToString());
        Directory.CreateDirectory(dir);
        var request = new PkiRequest
        {
            NodeName = "cp1",
            AdvertiseAddress = "10.0.0.11",
            KubernetesVersion = KubeVersion.Parse("1.30.14"),
            KeyAlgorithm = KeyAlgorithms.Parse(KeyAlgorithm),
        };
        var pki = KubePkiBuilder.Create(request);
        int files = pki.Export(Path.Combine(dir, "pki")).Count;
        var roles = new[] { KubeConfigRole.Admin, KubeConfigRole.Kubelet, KubeConfigRole.ControllerManager, KubeConfigRole.Scheduler };
        var configs = new KubeConfigFile[roles.Length];
        Parallel.For(0, roles.Length, i => configs[i] = KubeConfigFactory.Create(new KubeConfigRequest
        {
            Role = roles[i], NodeName = request.NodeName, AdvertiseAddress = request.AdvertiseAddress,
            KubernetesVersion = request.KubernetesVersion, KeyAlgorithm = request.KeyAlgorithm,
        }, pki.CA));
        foreach (var c in configs) { c.Save(dir); files++; }
        return files;
    }
}
