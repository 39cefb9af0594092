using System.Diagnostics;
using System.Globalization;
using KubePS.Core;
using KubePS.Core.Configuration;
using KubePS.Core.Operations;
using KubePS.Core.Preflight;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows.Init;
using KubePS.Core.Workflows.Join;
using KubePS.Tests.Lab;

namespace KubePS.Benchmarks;

/// <summary>
/// Joining 1, 5 and 20 lab workers (network namespaces with their own sshd, each running the lab kubelet through the
/// systemctl stand-in) to a one-node lab control plane that KubePS initialized: JoinWorkflow.RunAsync, what
/// Join-KubeNode runs, with the default throttle limit. Each size joins fresh nodes (a node joins once), so each size
/// is one run. Reported per size: the wall time of the whole call (discovery included), and per node the join without
/// its waits, the TLS bootstrap wait (kubelet started → kubelet.conf and healthz) and the wait for Ready, as medians and
/// maxima, plus the node round trips. Not a test: numbers depend on the machine and its load.
/// Usage: join-workers [--sizes 1,5,20] [--markdown FILE]. Needs root (the lab) and a built lab control plane.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class JoinWorkersBenchmark
{
    const string Version = "v1.32.13";

    sealed class QuietSink : IOperationSink
    {
        public readonly List<KubeException> Errors = [];
        public void WriteObject(object value) { }
        public void WriteVerbose(string message) { }
        public void WriteWarning(string message) { }
        public void WriteDebug(string message) { }
        public void WriteProgress(ProgressInfo progress) { }
        public void WriteError(KubeException error) { lock (Errors) Errors.Add(error); Console.Error.WriteLine($"  error: {error.ErrorId}: {error.Message}"); }
        public Task<bool> ShouldChangeAsync(string target, string action, CancellationToken cancellationToken) => Task.FromResult(true);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = new List<int> { 1, 5, 20 };
        string? markdown = null;
        for (int i = 0; i < args.Length; i++)
            switch (args[i])
            {
                case "--sizes": sizes = args[++i].Split(',').Select(int.Parse).ToList(); break;
                case "--markdown": markdown = args[++i]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        var root = FindRepo();
        var labExe = Path.Combine(root, "tests", "KubePS.LabControlPlane", "bin", "Release", "net10.0", "KubePS.LabControlPlane");
        if (!File.Exists(labExe)) { Console.Error.WriteLine($"build the lab control plane first: {labExe}"); return 2; }
        var shim = Path.Combine(Path.GetDirectoryName(labExe)!, "shims", "systemctl");

        int total = 1 + sizes.Sum();
        Console.Error.WriteLine($"lab of {total} nodes ...");
        await using var lab = await NodeLab.CreateAsync(total);
        var setup = $"""
            set -e
            ln -sf {shim} /usr/local/sbin/systemctl
            mkdir -p /run/systemd/system /etc/lab-systemd
            printf 'LAB_KUBELET_FLAGS="--lab-kubelet-version={Version} --lab-backoff-base=1s"\nLAB_RESTART_SEC=1\n' > /etc/lab-systemd/env
            """;
        await Task.WhenAll(lab.Nodes.Select(async n => (await lab.ExecAsync(n, setup)).EnsureSuccess("lab node setup")));
        var sessions = await lab.OpenSessionsAsync();
        try
        {
            var ignore = new List<string>();
            foreach (var role in new[] { PreflightRole.ControlPlane, PreflightRole.Worker })
                ignore.AddRange((await PreflightRunner.RunAsync(sessions[^1], new KubePreflightRequest { Role = role, KubernetesVersion = KubeVersion.Parse(Version) },
                    new QuietSink(), CancellationToken.None)).Errors.Select(e => e.Check));
            var yaml = $"""
                apiVersion: kubeadm.k8s.io/v1beta4
                kind: ClusterConfiguration
                kubernetesVersion: {Version}
                encryptionAlgorithm: ECDSA-P256
                """;
            Console.Error.WriteLine("init ...");
            var cp = await InitWorkflow.RunAsync(sessions[0], new InitRequest
            {
                Configuration = KubeClusterConfiguration.Parse(yaml, "bench"), IgnorePreflightErrors = ignore.Distinct().ToList(),
            }, new QuietSink(), CancellationToken.None);

            var lines = new List<string>
            {
                "| workers | wall (whole call) | join without waits, median (max) | TLS bootstrap wait, median (max) | wait for Ready, median (max) | round trips per node |",
                "|---:|---:|---:|---:|---:|---:|",
            };
            int next = 1;
            foreach (var size in sizes)
            {
                var batch = sessions.Skip(next).Take(size).ToList();
                next += size;
                Console.Error.WriteLine($"join {size} worker(s) ...");
                var sink = new QuietSink();
                var watch = Stopwatch.StartNew();
                var results = await JoinWorkflow.RunAsync(batch, new JoinRequest { ControlPlane = cp, IgnorePreflightErrors = ignore.Distinct().ToList() }, sink,
                    CancellationToken.None);
                var wall = watch.Elapsed;
                if (results.Count != size || sink.Errors.Count > 0) { Console.Error.WriteLine($"{size}: {results.Count} joined, {sink.Errors.Count} errors"); return 1; }
                var work = results.Select(r => (r.Duration - r.BootstrapWait - r.ReadyWait).TotalSeconds).ToList();
                var boot = results.Select(r => r.BootstrapWait.TotalSeconds).ToList();
                var ready = results.Select(r => r.ReadyWait.TotalSeconds).ToList();
                var trips = results.Select(r => r.RoundTrips.Values.Sum()).ToList();
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {size} | {wall.TotalSeconds:F1} s | {Median(work):F1} s ({work.Max():F1}) | {Median(boot):F1} s ({boot.Max():F1}) | {Median(ready):F1} s ({ready.Max():F1}) | {Median(trips.Select(t => (double)t).ToList()):F0} |"));
                Console.Error.WriteLine(lines[^1]);
            }
            var text = string.Join("\n", lines) + "\n";
            Console.Write(text);
            if (markdown is not null) await File.WriteAllTextAsync(markdown, text);
            return 0;
        }
        finally
        {
            foreach (var s in sessions) await s.DisposeAsync();
        }
    }

    static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    static string FindRepo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "KubePS.sln"))) return d.FullName;
        throw new InvalidOperationException("KubePS.sln not found above " + AppContext.BaseDirectory);
    }
}
