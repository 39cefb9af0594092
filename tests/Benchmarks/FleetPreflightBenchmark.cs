using System.Diagnostics;
using System.Globalization;
using System.Text;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Preflight;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Lab;

namespace KubePS.Benchmarks;

/// <summary>
/// Preflight on 1, 5 and 20 lab nodes (network namespaces with their own sshd on this machine): KubePS's fleet path
/// (FleetPreparation.PreflightAsync, what Invoke-KubePreflight runs) against Ansible ad-hoc running the same probe
/// script with the shell module, in the same run on the same nodes. Wall times are medians of repeated runs
/// (Stopwatch around each run; Ansible's include its process start). SSH round trips are counted in separate, untimed
/// runs through an ssh wrapper that logs each invocation (KubePS: PATH; Ansible: ANSIBLE_SSH_EXECUTABLE). CPU per node
/// and run, for the warm runs: on the workstation (KubePS: this process and its reaped ssh clients; Ansible: ansible
/// and its reaped children, from /usr/bin/time) and on the nodes (every process in the nodes' network namespaces).
/// Not a test: numbers depend on the machine and its load. Usage: fleet-preflight [--nodes 1,5,20] [--runs 15]
/// [--cold-runs 7] [--ansible-runs 5] [--markdown FILE]. Needs root (the lab) and ansible-core.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class FleetPreflightBenchmark
{
    sealed class NullSink : IOperationSink
    {
        public int Errors;
        public void WriteObject(object value) { }
        public void WriteVerbose(string message) { }
        public void WriteWarning(string message) { }
        public void WriteDebug(string message) { }
        public void WriteProgress(ProgressInfo progress) { }
        public void WriteError(KubeException error) { if (error.ErrorId != "Preflight.Failed") { Interlocked.Increment(ref Errors); Console.Error.WriteLine($"  error: {error.ErrorId}: {error.Message}"); } }
        public Task<bool> ShouldChangeAsync(string target, string action, CancellationToken cancellationToken) => Task.FromResult(true);
    }

    sealed record Row(int Nodes, string Tool, string Setting, double MedianMs, double MinMs, double MaxMs, int Runs, string RoundTrips,
        double WorkstationCpuMs = double.NaN, double NodeCpuMs = double.NaN);

    /// <summary>CPU time in ms: user + system of the processes, plus what their reaped children used.</summary>
    static double TicksToMs(long ticks) => ticks * 1000.0 / 100;   // USER_HZ is 100 on Linux

    static long StatTicks(string statPath, bool withChildren)
    {
        try
        {
            var stat = File.ReadAllText(statPath);
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields 14-17 of /proc/<pid>/stat: utime stime cutime cstime (f[0] is field 3)
            long t = long.Parse(f[11]) + long.Parse(f[12]);
            return withChildren ? t + long.Parse(f[13]) + long.Parse(f[14]) : t;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException) { return 0; }
    }

    /// <summary>This process (KubePS in process, its threads) and its reaped children (the ssh clients).</summary>
    static long SelfTicks() => StatTicks("/proc/self/stat", withChildren: true);

    /// <summary>
    /// Every process of the given nodes (matched by network namespace), own and reaped children's time: sshd, its
    /// connection processes and whatever they ran (bash, the probe's tools, Ansible's python).
    /// </summary>
    static long NodeTicks(IEnumerable<LabNode> nodes)
    {
        var namespaces = nodes.Select(n => new FileInfo($"/proc/{n.SshdPid}/ns/net").LinkTarget).ToHashSet();
        long sum = 0;
        foreach (var d in Directory.GetDirectories("/proc"))
        {
            var pid = Path.GetFileName(d);
            if (!pid.All(char.IsDigit)) continue;
            string? ns;
            try { ns = new FileInfo(Path.Combine(d, "ns/net")).LinkTarget; } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
            if (ns is not null && namespaces.Contains(ns)) sum += StatTicks(Path.Combine(d, "stat"), withChildren: true);
        }
        return sum;
    }

    static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    static Row RowOf(int nodes, string tool, string setting, List<double> ms, string roundTrips, double workstationTicks = double.NaN, double nodeTicks = double.NaN) =>
        new(nodes, tool, setting, Median(ms), ms.Min(), ms.Max(), ms.Count, roundTrips,
            double.IsNaN(workstationTicks) ? double.NaN : TicksToMs((long)workstationTicks) / ms.Count / nodes,
            double.IsNaN(nodeTicks) ? double.NaN : TicksToMs((long)nodeTicks) / ms.Count / nodes);

    public static async Task<int> RunAsync(string[] args)
    {
        int[] counts = [1, 5, 20];
        int runs = 15, coldRuns = 7, ansibleRuns = 5;
        string? markdown = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--nodes": counts = args[++i].Split(',').Select(int.Parse).ToArray(); break;
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--cold-runs": coldRuns = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--ansible-runs": ansibleRuns = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--markdown": markdown = args[++i]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }

        var tmp = Directory.CreateTempSubdirectory("kubeps-bench-fleet-").FullName;
        var started = DateTimeOffset.Now;
        string pressureBefore = Read("/proc/pressure/cpu"), loadBefore = Read("/proc/loadavg");
        var rows = new List<Row>();
        var notes = new List<string>();
        try
        {
            var clock = Stopwatch.StartNew();
            await using var lab = await NodeLab.CreateAsync(counts.Max());
            notes.Add($"lab of {counts.Max()} nodes up in {clock.Elapsed.TotalSeconds:0.0} s");
            var request = new KubePreflightRequest { Role = PreflightRole.ControlPlane, KubernetesVersion = KubeVersion.Parse("1.30.14") };
            string probe = NodeProbe.Script(request.ProbeOptions);
            // For Ansible: the same probe script, put into each node's own /root beforehand (not timed; KubePS sends it
            // on ssh's standard input every time, so Ansible is spared that transfer).
            foreach (var n in lab.Nodes) File.WriteAllText(Path.Combine(n.Directory, "root", "kubeps-probe.sh"), probe);

            // ssh wrapper that counts invocations
            string bin = Path.Combine(tmp, "bin"), calls = Path.Combine(tmp, "ssh-calls.log");
            Directory.CreateDirectory(bin);
            string wrapper = Path.Combine(bin, "ssh");
            File.WriteAllText(wrapper, $"#!/bin/sh\necho \"$*\" >> {calls}\nexec /usr/bin/ssh \"$@\"\n");
            File.SetUnixFileMode(wrapper, (UnixFileMode)0b111_101_101);

            var ansible = new AnsibleRunner(tmp, lab);
            notes.Add($"ansible --version alone: {ansible.VersionStartupMs():0} ms (median of 3)");

            foreach (int count in counts)
            {
                var nodes = lab.Nodes.Take(count).ToList();
                var options = nodes.Select(lab.SessionOptions).ToList();
                Console.Error.WriteLine($"== {count} node(s)");

                // KubePS, round trips (untimed): cold open, then one preflight over the open connections.
                string oldPath = Environment.GetEnvironmentVariable("PATH") ?? "";
                Environment.SetEnvironmentVariable("PATH", bin + ":" + oldPath);
                File.WriteAllText(calls, "");
                var counted = await NodeSessionFactory.OpenManyAsync(options, new NullSink(), count, register: false);
                int openCalls = File.ReadAllLines(calls).Length;
                File.WriteAllText(calls, "");
                await FleetPreparation.PreflightAsync(counted, request, new NullSink(), refresh: true, throttleLimit: count);
                int preflightCalls = File.ReadAllLines(calls).Length;
                foreach (var s in counted) await s.DisposeAsync();
                Environment.SetEnvironmentVariable("PATH", oldPath);
                string kubeRt = $"{(double)preflightCalls / count:0.#} (+{(double)openCalls / count:0.#} to open)";

                // KubePS cold: sessions opened (ssh handshake, ControlMaster) and preflight, then closed.
                var cold = new List<double>();
                for (int r = 0; r < coldRuns; r++)
                {
                    var sink = new NullSink();
                    var sw = Stopwatch.StartNew();
                    var sessions = await NodeSessionFactory.OpenManyAsync(options, sink, count, register: false);
                    var outcome = await FleetPreparation.PreflightAsync(sessions, request, sink, throttleLimit: count);
                    sw.Stop();
                    Check(outcome.Count == count && sink.Errors == 0, $"KubePS cold run on {count} nodes had errors");
                    cold.Add(sw.Elapsed.TotalMilliseconds);
                    foreach (var s in sessions) await s.DisposeAsync();
                }
                rows.Add(RowOf(count, "KubePS", "cold: open sessions + preflight", cold, $"{(double)(openCalls + preflightCalls) / count:0.#}"));

                // KubePS warm: connections up; each run probes every node again (refresh) and evaluates the checks.
                var open = await NodeSessionFactory.OpenManyAsync(options, new NullSink(), count, register: false);
                for (int w = 0; w < 2; w++) await FleetPreparation.PreflightAsync(open, request, new NullSink(), refresh: true, throttleLimit: count);
                var warm = new List<double>();
                long selfBefore = SelfTicks(), nodesBefore = NodeTicks(nodes);
                for (int r = 0; r < runs; r++)
                {
                    var sink = new NullSink();
                    var sw = Stopwatch.StartNew();
                    var outcome = await FleetPreparation.PreflightAsync(open, request, sink, refresh: true, throttleLimit: count);
                    sw.Stop();
                    Check(outcome.Count == count && sink.Errors == 0 && outcome.All(o => o.Report.Results.Count > 20), $"KubePS warm run on {count} nodes had errors");
                    warm.Add(sw.Elapsed.TotalMilliseconds);
                }
                long selfUsed = SelfTicks() - selfBefore, nodesUsed = NodeTicks(nodes) - nodesBefore;
                foreach (var s in open) await s.DisposeAsync();
                rows.Add(RowOf(count, "KubePS", "warm: preflight over open sessions", warm, kubeRt, selfUsed, nodesUsed));

                // Ansible: defaults (ControlPersist=60s, forks=5), without and with pipelining, cold and warm; and forks = nodes.
                var forksList = count > 5 ? new[] { 5, count } : [5];
                foreach (bool pipelining in new[] { false, true })
                    foreach (int forks in forksList)
                    {
                        string setting = $"{(pipelining ? "pipelining" : "no pipelining")}, forks={forks}";
                        string rt = ansible.CountRoundTrips(nodes, pipelining, forks, wrapper, calls);
                        var ac = new List<double>();
                        for (int r = 0; r < ansibleRuns; r++) { ansible.CloseMasters(); ac.Add(ansible.Run(nodes, pipelining, forks)); }
                        rows.Add(RowOf(count, "Ansible", setting + ", cold", ac, rt));
                        ansible.Run(nodes, pipelining, forks);
                        var aw = new List<double>();
                        long ansibleTicks = 0, ansibleNodesBefore = NodeTicks(nodes);
                        for (int r = 0; r < ansibleRuns; r++) { aw.Add(ansible.Run(nodes, pipelining, forks)); ansibleTicks += ansible.LastCpuTicks; }
                        rows.Add(RowOf(count, "Ansible", setting + ", warm", aw, rt, ansibleTicks, NodeTicks(nodes) - ansibleNodesBefore));
                    }
                ansible.CloseMasters();
            }
        }
        finally
        {
            try { Directory.Delete(tmp, recursive: true); } catch (IOException) { }
        }

        string report = Report(rows, counts, notes, started, pressureBefore, loadBefore, Read("/proc/pressure/cpu"), Read("/proc/loadavg"));
        Console.WriteLine(report);
        if (markdown is not null) File.WriteAllText(markdown, report);
        return 0;
    }

    static void Check(bool ok, string what)
    {
        if (!ok) throw new InvalidOperationException(what);
    }

    static string Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "(none)";

    static string Report(List<Row> rows, int[] counts, List<string> notes, DateTimeOffset started, string pBefore, string lBefore, string pAfter, string lAfter)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"Run {started:yyyy-MM-dd HH:mm zzz}. Wall time per run, median (min–max) of the runs; round trips = ssh invocations per node.\n\n");
        sb.Append("| nodes | tool | setting | median | min–max | runs | ssh round trips per node | CPU per node and run: workstation / node |\n|---:|---|---|---:|---:|---:|---|---|\n");
        foreach (var r in rows)
            sb.Append(inv, $"| {r.Nodes} | {r.Tool} | {r.Setting} | {r.MedianMs:0} ms | {r.MinMs:0}–{r.MaxMs:0} ms | {r.Runs} | {r.RoundTrips} | {(double.IsNaN(r.WorkstationCpuMs) ? "" : $"{r.WorkstationCpuMs:0} ms / {r.NodeCpuMs:0} ms")} |\n");
        sb.Append("\nRatios (medians):\n\n| nodes | KubePS warm vs 1 node | Ansible best warm / KubePS warm | Ansible best cold / KubePS cold |\n|---:|---:|---:|---:|\n");
        double kube1 = rows.First(r => r.Tool == "KubePS" && r.Setting.StartsWith("warm", StringComparison.Ordinal) && r.Nodes == counts.Min()).MedianMs;
        foreach (int n in counts)
        {
            var kw = rows.First(r => r.Nodes == n && r.Tool == "KubePS" && r.Setting.StartsWith("warm", StringComparison.Ordinal)).MedianMs;
            var kc = rows.First(r => r.Nodes == n && r.Tool == "KubePS" && r.Setting.StartsWith("cold", StringComparison.Ordinal)).MedianMs;
            var aw = rows.Where(r => r.Nodes == n && r.Tool == "Ansible" && r.Setting.EndsWith("warm", StringComparison.Ordinal)).Min(r => r.MedianMs);
            var ac = rows.Where(r => r.Nodes == n && r.Tool == "Ansible" && r.Setting.EndsWith("cold", StringComparison.Ordinal)).Min(r => r.MedianMs);
            sb.Append(inv, $"| {n} | {kw / kube1:0.00}× | {aw / kw:0.0}× | {ac / kc:0.0}× |\n");
        }
        sb.Append("\nNotes: ").Append(string.Join("; ", notes)).Append(".\n\n");
        sb.Append(inv, $"/proc/pressure/cpu before: `{pBefore.Replace("\n", " | ")}`; after: `{pAfter.Replace("\n", " | ")}`\n\n");
        sb.Append(inv, $"/proc/loadavg before: `{lBefore}`; after: `{lAfter}`\n");
        return sb.ToString();
    }

    /// <summary>Ansible ad-hoc against lab nodes: inventory, private ANSIBLE_HOME/temp/control path directory, the lab's known_hosts and key.</summary>
    sealed class AnsibleRunner
    {
        readonly string _dir, _inventory, _cp;
        readonly Dictionary<string, string> _env;

        public AnsibleRunner(string tmp, NodeLab lab)
        {
            _dir = Path.Combine(tmp, "ansible");
            _cp = Path.Combine(_dir, "cp");
            foreach (var d in new[] { _dir, _cp, Path.Combine(_dir, "home"), Path.Combine(_dir, "tmp") }) Directory.CreateDirectory(d);
            _inventory = Path.Combine(_dir, "inventory.ini");
            var inv = new StringBuilder("[lab]\n");
            foreach (var n in lab.Nodes) inv.Append(n.Name).Append(" ansible_host=").Append(n.Address).Append('\n');
            inv.Append("[lab:vars]\nansible_user=root\nansible_ssh_private_key_file=").Append(lab.ClientKeyFile)
               .Append("\nansible_python_interpreter=/usr/bin/python3\n");
            File.WriteAllText(_inventory, inv.ToString());
            string cfg = Path.Combine(_dir, "ansible.cfg");
            File.WriteAllText(cfg, "# empty: Ansible's defaults (ssh_args -C -o ControlMaster=auto -o ControlPersist=60s)\n");
            _env = new Dictionary<string, string>
            {
                ["ANSIBLE_CONFIG"] = cfg,
                ["ANSIBLE_HOME"] = Path.Combine(_dir, "home"),
                ["ANSIBLE_LOCAL_TEMP"] = Path.Combine(_dir, "tmp"),
                ["ANSIBLE_SSH_CONTROL_PATH_DIR"] = _cp,
                // The lab's known_hosts (strict checking as KubePS does) and the same key exchange the lab's ssh_config gives KubePS.
                ["ANSIBLE_SSH_COMMON_ARGS"] = $"-o UserKnownHostsFile={lab.KnownHostsFile} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o KexAlgorithms=curve25519-sha256",
                ["ANSIBLE_NOCOLOR"] = "1",
                ["ANSIBLE_DEPRECATION_WARNINGS"] = "0",
                ["ANSIBLE_LOCALHOST_WARNING"] = "0",
            };
        }

        (int Exit, string Out, string Err, double Ms) Exec(IEnumerable<string> args, IReadOnlyDictionary<string, string> extra)
        {
            // /usr/bin/time reports ansible's CPU with its reaped children (forks, ssh clients) on the last line of stderr.
            var psi = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-f", "kubeps-cpu %U %S", "ansible" }.Concat(args)) psi.ArgumentList.Add(a);
            foreach (var (k, v) in _env) psi.Environment[k] = v;
            foreach (var (k, v) in extra) psi.Environment[k] = v;
            var sw = Stopwatch.StartNew();
            using var p = Process.Start(psi)!;
            var o = p.StandardOutput.ReadToEndAsync();
            var e = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            sw.Stop();
            var err = e.Result;
            int at = err.LastIndexOf("kubeps-cpu ", StringComparison.Ordinal);
            if (at >= 0)
            {
                var parts = err[(at + "kubeps-cpu ".Length)..].Trim().Split(' ');
                LastCpuTicks = (long)Math.Round((double.Parse(parts[0], CultureInfo.InvariantCulture) + double.Parse(parts[1], CultureInfo.InvariantCulture)) * 100);
                err = err[..at];
            }
            return (p.ExitCode, o.Result, err, sw.Elapsed.TotalMilliseconds);
        }

        /// <summary>CPU ticks (1/100 s) of the last ansible run, with its children.</summary>
        public long LastCpuTicks { get; private set; }

        public double VersionStartupMs() =>
            Enumerable.Range(0, 3).Select(_ => Exec(["--version"], new Dictionary<string, string>()).Ms).Order().ElementAt(1);

        public double Run(IReadOnlyList<LabNode> nodes, bool pipelining, int forks, string? sshExecutable = null)
        {
            var extra = new Dictionary<string, string> { ["ANSIBLE_PIPELINING"] = pipelining ? "True" : "False", ["ANSIBLE_FORKS"] = forks.ToString(CultureInfo.InvariantCulture) };
            if (sshExecutable is not null) extra["ANSIBLE_SSH_EXECUTABLE"] = sshExecutable;
            var (exit, output, error, ms) = Exec([string.Join(',', nodes.Select(n => n.Name)), "-i", _inventory, "-m", "shell", "-a", "bash /root/kubeps-probe.sh", "-o"], extra);
            int complete = output.Split('\n').Count(l => l.Contains("kubeps.probe.end=1", StringComparison.Ordinal));
            Check(exit == 0 && complete == nodes.Count, $"ansible on {nodes.Count} nodes: exit {exit}, {complete} complete probe outputs: {error}{output[..Math.Min(2000, output.Length)]}");
            return ms;
        }

        public string CountRoundTrips(IReadOnlyList<LabNode> nodes, bool pipelining, int forks, string wrapper, string calls)
        {
            CloseMasters();
            File.WriteAllText(calls, "");
            Run(nodes, pipelining, forks, wrapper);
            int cold = File.ReadAllLines(calls).Length;
            File.WriteAllText(calls, "");
            Run(nodes, pipelining, forks, wrapper);
            int warm = File.ReadAllLines(calls).Length;
            return $"{(double)warm / nodes.Count:0.#} (cold run: {(double)cold / nodes.Count:0.#})";
        }

        /// <summary>Ends the ControlPersist masters Ansible left (ssh -O exit on each socket).</summary>
        public void CloseMasters()
        {
            foreach (var s in Directory.GetFiles(_cp))
            {
                var psi = new ProcessStartInfo("ssh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in new[] { "-o", "ControlPath=" + s, "-O", "exit", "x" }) psi.ArgumentList.Add(a);
                using var p = Process.Start(psi)!;
                p.WaitForExit();
            }
            for (int i = 0; i < 50 && Directory.GetFiles(_cp).Length > 0; i++) Thread.Sleep(20);
        }
    }
}
