using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using KubePS.Core;
using KubePS.Core.Configuration;
using KubePS.Core.Operations;
using KubePS.Core.Workflows.Init;

namespace KubePS.Benchmarks;

/// <summary>
/// kubeadm init of one control-plane node rendered in full, as a dry run of examples/kubeadm-config.yaml (1.30.14, HA
/// endpoint, mirror registry, ipvs): every phase renders its files, commands and API objects and records them in a
/// folder (22 PKI files, 5 kubeconfigs, 4 manifests, the kubelet files, 29 objects). "fresh" starts from an empty
/// folder (keys are generated: 16 for the PKI, 5 for the kubeconfigs); "again" runs into a folder that already holds
/// everything, i.e. what a re-run costs: read back, compare, nothing written.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class InitRenderBenchmarks
{
    sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.ShortRun.WithIterationCount(15).WithWarmupCount(2).WithId("ShortRun-15"));
            AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median, BenchmarkDotNet.Columns.StatisticColumn.Min, BenchmarkDotNet.Columns.StatisticColumn.Max);
        }
    }

    /// <summary>Answers yes and forgets: no console, no prompts.</summary>
    sealed class NullSink : IOperationSink
    {
        public void WriteObject(object value) { }
        public void WriteVerbose(string message) { }
        public void WriteWarning(string message) { }
        public void WriteDebug(string message) { }
        public void WriteProgress(ProgressInfo progress) { }
        public void WriteError(KubeException error) { }
        public Task<bool> ShouldChangeAsync(string target, string action, CancellationToken cancellationToken) => Task.FromResult(true);
    }

    [Params("RSA-2048", "ECDSA-P256")]
    public string KeyAlgorithm { get; set; } = "RSA-2048";

    string _root = "";
    string _yaml = "";
    string _initialized = "";
    int _n;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "kubeps-bench-init-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        var example = File.ReadAllText(FindRepoFile("examples/kubeadm-config.yaml"));
        _yaml = KeyAlgorithm == "ECDSA-P256"
            ? example.Replace("kind: ClusterConfiguration\n", "kind: ClusterConfiguration\nfeatureGates:\n  PublicKeysECDSA: true\n")
            : example;
        _initialized = Path.Combine(_root, "initialized");
        Run(_initialized);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    int Run(string dir)
    {
        var request = new InitRequest { Configuration = KubeClusterConfiguration.Parse(_yaml, "example"), DryRunPath = dir };
        var cp = InitWorkflow.RunAsync(null, request, new NullSink(), CancellationToken.None).GetAwaiter().GetResult();
        return cp.ChangeCount;
    }

    [Benchmark(Description = "init dry run, fresh node")]
    public int Fresh() => Run(Path.Combine(_root, (_n++).ToString()));

    [Benchmark(Description = "init dry run, again (no change)")]
    public int Again() => Run(_initialized);

    static string FindRepoFile(string relative)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "KubePS.sln"))) return Path.Combine(d.FullName, relative);
        var fromCwd = Path.GetFullPath(Path.Combine("..", "..", relative));
        return File.Exists(fromCwd) ? fromCwd : throw new FileNotFoundException($"{relative}: KubePS.sln not found above {AppContext.BaseDirectory}");
    }
}
