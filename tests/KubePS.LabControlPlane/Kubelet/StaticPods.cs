using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.Kubelet;

/// <summary>
/// Where things are and how components are run; all paths can be moved under a lab root. <paramref name="ProbeCap"/>
/// (--lab-probe-cap) caps the initialDelaySeconds and periodSeconds of startup and readiness probes, so that tests
/// that restart many components do not wait kubeadm's 10 s before each first probe; liveness probes keep theirs.
/// </summary>
public sealed record RuntimeOptions(
    string StaticPodPath, string RunDir, string PodLogDir, string EtcdBinary, string[] LabCommand, TimeSpan BackoffBase,
    string LabRoot, string NodeIp, TimeSpan? ProbeCap = null);

/// <summary>
/// The static pod part of the kubelet: manifests in staticPodPath become processes. etcd runs the real etcd binary,
/// kube-apiserver / kube-controller-manager / kube-scheduler run this executable's stand-ins, each with the manifest's
/// command-line flags. Every container runs under a small shell "shim" in its own session that records the exit code,
/// so containers outlive a kubelet restart (as with containerd) and a new kubelet adopts them.
/// </summary>
public sealed class StaticPods(RuntimeOptions opt)
{
    public sealed class Container
    {
        public required string Name;
        public required string Image;
        public required string[] Argv;
        public string? CannotRun;
        public required string StateDir;
        public required Dictionary<string, string> Env;
        public JsonObject? ReadinessProbe, LivenessProbe, StartupProbe;
        public int RestartCount;
        public int? ShimPid;
        public int? Pid;
        public DateTime? StartedAt;
        public DateTime? NextStart;
        public bool Ready, Started;
        public int LivenessFailures;
        public DateTime LastStartupProbe = DateTime.MinValue, LastReadinessProbe = DateTime.MinValue, LastLivenessProbe = DateTime.MinValue;
        public (int code, string reason, DateTime started, DateTime finished)? LastTermination;
        public bool Held;
        public string? WaitingReason;
        public string? WaitingMessage;
    }

    public sealed class Pod
    {
        public required string File;
        public required string Hash;
        public required JsonObject Manifest;
        public required string Name;
        public required string Namespace;
        public required List<Container> Containers;
        public DateTime Seen = DateTime.UtcNow;
        public string FullName => $"{Namespace}/{Name}";
    }

    readonly Dictionary<string, Pod> _pods = [];
    readonly object _gate = new();

    public List<Pod> Snapshot() { lock (_gate) return [.. _pods.Values]; }

    public static string HashOf(byte[] bytes) => Convert.ToHexString(MD5.HashData(bytes)).ToLowerInvariant();

    // ------------------------------------------------------------------ manifest sync

    public void Sync()
    {
        var seen = new Dictionary<string, (string file, byte[] bytes)>();
        if (Directory.Exists(opt.StaticPodPath))
        {
            foreach (var file in Directory.GetFiles(opt.StaticPodPath).Order(StringComparer.Ordinal))
            {
                var fn = Path.GetFileName(file);
                if (fn.StartsWith('.')) continue;
                try { seen[file] = (file, File.ReadAllBytes(file)); }
                catch (IOException) { }
            }
        }
        lock (_gate)
        {
            foreach (var (key, pod) in _pods.ToList())
            {
                if (seen.TryGetValue(pod.File, out var s) && HashOf(s.bytes) == pod.Hash) continue;
                Log.Info($"static pod {pod.FullName}: manifest {(seen.ContainsKey(pod.File) ? "changed" : "removed")}, stopping it");
                foreach (var c in pod.Containers) Stop(c, TimeSpan.FromSeconds(10));
                _pods.Remove(key);
            }
            foreach (var (file, bytes) in seen.Values)
            {
                var hash = HashOf(bytes);
                if (_pods.Values.Any(p => p.File == file && p.Hash == hash)) continue;
                Pod? pod;
                try { pod = Parse(file, bytes, hash); }
                catch (Exception e) when (e is FormatException or LabException)
                {
                    Log.Warn($"static pod manifest {file}: {e.Message}");
                    continue;
                }
                if (_pods.ContainsKey(pod.FullName))
                {
                    Log.Warn($"static pod manifest {file}: pod {pod.FullName} is already defined by {_pods[pod.FullName].File}");
                    continue;
                }
                _pods[pod.FullName] = pod;
                Log.Info($"static pod {pod.FullName} from {file} (hash {hash})");
                foreach (var c in pod.Containers) Adopt(c);
            }
        }
    }

    Pod Parse(string file, byte[] bytes, string hash)
    {
        var m = Yaml.ParseObject(Encoding.UTF8.GetString(bytes), file);
        if (m.Str("kind") != "Pod") throw new FormatException("not a Pod");
        var name = m.Str("metadata", "name") ?? throw new FormatException("metadata.name is missing");
        var ns = m.Str("metadata", "namespace") ?? "default";
        var containers = new List<Container>();
        foreach (var c in m.Arr("spec", "containers").OfType<JsonObject>())
        {
            var cname = c.Str("name") ?? throw new FormatException("container without a name");
            var image = c.Str("image") ?? "";
            var cmd = c.Arr("command").StringItems().Concat(c.Arr("args").StringItems()).ToList();
            var env = new Dictionary<string, string>();
            foreach (var e in c.Arr("env").OfType<JsonObject>())
                if (e.Str("name") is { } en && e.Str("value") is { } ev) env[en] = ev;
            var tag = image.Contains(':') ? image[(image.LastIndexOf(':') + 1)..] : "";
            env["LAB_KUBE_VERSION"] = tag;
            env["LAB_KUBELET_ROOT"] = opt.LabRoot;
            var (argv, why) = Map(cmd);
            containers.Add(new Container
            {
                Name = cname, Image = image, Argv = argv, CannotRun = why, Env = env,
                StateDir = Path.Combine(opt.RunDir, "pods", $"{ns}_{name}", cname),
                ReadinessProbe = c["readinessProbe"] as JsonObject, LivenessProbe = c["livenessProbe"] as JsonObject,
                StartupProbe = c["startupProbe"] as JsonObject,
            });
        }
        if (containers.Count == 0) throw new FormatException("spec.containers is empty");
        PrepareVolumes(m);
        return new Pod { File = file, Hash = hash, Manifest = m, Name = name, Namespace = ns, Containers = containers };
    }

    /// <summary>hostPath volumes of type DirectoryOrCreate/FileOrCreate are created, as the kubelet does.</summary>
    static void PrepareVolumes(JsonObject m)
    {
        foreach (var v in m.Arr("spec", "volumes").OfType<JsonObject>())
        {
            var path = v.Str("hostPath", "path");
            if (path is null) continue;
            try
            {
                switch (v.Str("hostPath", "type"))
                {
                    case "DirectoryOrCreate" when !Directory.Exists(path):
                        Directory.CreateDirectory(path);
                        break;
                    case "FileOrCreate" when !File.Exists(path) && !Directory.Exists(path):
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        File.WriteAllBytes(path, []);
                        break;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.Warn($"hostPath {path}: {e.Message}");
            }
        }
    }

    /// <summary>Translations for flags newer kubeadm releases give etcd 3.5+ and Debian's etcd 3.4 names differently.</summary>
    static readonly Dictionary<string, string> EtcdFlagRenames = new()
    {
        ["--watch-progress-notify-interval"] = "--experimental-watch-progress-notify-interval",
        ["--initial-corrupt-check"] = "--experimental-initial-corrupt-check",
    };

    (string[] argv, string? why) Map(List<string> cmd)
    {
        if (cmd.Count == 0) return ([], "the lab kubelet needs an explicit command (images are not run)");
        var bin = Path.GetFileName(cmd[0]);
        var rest = cmd.Skip(1).ToList();
        switch (bin)
        {
            case "etcd":
                var flags = new List<string>();
                foreach (var a in rest)
                {
                    var eq = a.IndexOf('=');
                    var key = eq < 0 ? a : a[..eq];
                    if (a == "--feature-gates=InitialCorruptCheck=true") { flags.Add("--experimental-initial-corrupt-check=true"); continue; }
                    if (key == "--feature-gates") { Log.Warn($"etcd 3.4 has no --feature-gates; dropping {a}"); continue; }
                    flags.Add(EtcdFlagRenames.TryGetValue(key, out var nk) ? nk + (eq < 0 ? "" : a[eq..]) : a);
                }
                return ([opt.EtcdBinary, .. flags], null);
            case "kube-apiserver": return ([.. opt.LabCommand, "apiserver", .. rest], null);
            case "kube-controller-manager": return ([.. opt.LabCommand, "controller-manager", .. rest], null);
            case "kube-scheduler": return ([.. opt.LabCommand, "scheduler", .. rest], null);
            default:
                return ([], $"the lab kubelet runs etcd, kube-apiserver, kube-controller-manager and kube-scheduler only, not {bin}");
        }
    }

    // ------------------------------------------------------------------ processes

    static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return true; }
    }

    static int? ReadInt(string file)
    {
        try { return int.TryParse(File.ReadAllText(file).Trim(), out var v) ? v : null; }
        catch (IOException) { return null; }
    }

    /// <summary>A container left running by a previous kubelet (same manifest) is taken over instead of started again.</summary>
    void Adopt(Container c)
    {
        var shim = ReadInt(Path.Combine(c.StateDir, "shim.pid"));
        var argvFile = Path.Combine(c.StateDir, "argv");
        var sameArgv = File.Exists(argvFile) && File.ReadAllText(argvFile) == string.Join('\0', c.Argv);
        if (shim is { } s && Alive(s) && sameArgv)
        {
            c.ShimPid = s;
            c.Pid = ReadInt(Path.Combine(c.StateDir, "pid"));
            c.RestartCount = ReadInt(Path.Combine(c.StateDir, "restarts")) ?? 0;
            c.StartedAt = File.Exists(Path.Combine(c.StateDir, "pid")) ? File.GetLastWriteTimeUtc(Path.Combine(c.StateDir, "pid")) : DateTime.UtcNow;
            Log.Info($"container {c.Name}: adopted running process {c.Pid} (shim {s})");
            return;
        }
        if (shim is { } stale && Alive(stale))
        {
            Log.Info($"container {c.Name}: the running process belongs to an older manifest, stopping it");
            KillShim(stale, ReadInt(Path.Combine(c.StateDir, "pid")), TimeSpan.FromSeconds(10));
        }
        c.RestartCount = 0;
        c.NextStart = DateTime.UtcNow;
    }

    void Start(Container c, Pod pod)
    {
        if (c.CannotRun is not null)
        {
            c.WaitingReason = "CreateContainerError";
            c.WaitingMessage = c.CannotRun;
            c.NextStart = null;
            return;
        }
        Directory.CreateDirectory(c.StateDir);
        foreach (var f in new[] { "pid", "exit" }) File.Delete(Path.Combine(c.StateDir, f));
        var logDir = Path.Combine(opt.PodLogDir, $"{pod.Namespace}_{pod.Name}_{pod.Hash}", c.Name);
        Directory.CreateDirectory(logDir);
        var log = Path.Combine(logDir, $"{c.RestartCount}.log");
        File.WriteAllText(Path.Combine(c.StateDir, "argv"), string.Join('\0', c.Argv));
        File.WriteAllText(Path.Combine(c.StateDir, "restarts"), c.RestartCount.ToString());
        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = false, RedirectStandardError = false,
        };
        // setsid: own session, so stopping the kubelet leaves containers running, as containerd does.
        psi.ArgumentList.Add("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("\"$@\" </dev/null >>\"$LAB_LOG\" 2>&1 & echo $! > \"$LAB_STATE/pid\"; wait $!; echo $? > \"$LAB_STATE/exit\"");
        psi.ArgumentList.Add("lab-shim");
        foreach (var a in c.Argv) psi.ArgumentList.Add(a);
        foreach (var (k, v) in c.Env) psi.Environment[k] = v;
        psi.Environment["LAB_LOG"] = log;
        psi.Environment["LAB_STATE"] = c.StateDir;
        try
        {
            using var p = Process.Start(psi)!;
            p.StandardInput.Close();
            c.ShimPid = p.Id;
            File.WriteAllText(Path.Combine(c.StateDir, "shim.pid"), p.Id.ToString());
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            c.WaitingReason = "RunContainerError";
            c.WaitingMessage = e.Message;
            c.NextStart = DateTime.UtcNow + Backoff(c.RestartCount);
            return;
        }
        c.StartedAt = DateTime.UtcNow;
        c.NextStart = null;
        c.Ready = c.Started = false;
        c.LivenessFailures = 0;
        c.LastStartupProbe = c.LastReadinessProbe = c.LastLivenessProbe = DateTime.MinValue;
        c.WaitingReason = c.WaitingMessage = null;
        for (int i = 0; i < 50 && c.Pid is null; i++) { Thread.Sleep(20); c.Pid = ReadInt(Path.Combine(c.StateDir, "pid")); }
        Log.Info($"container {pod.Name}/{c.Name} started (pid {c.Pid}, restart {c.RestartCount}): {string.Join(' ', c.Argv.Take(2))} ...");
    }

    TimeSpan Backoff(int restarts)
    {
        var s = opt.BackoffBase.TotalSeconds * Math.Pow(2, Math.Max(0, restarts - 1));
        return TimeSpan.FromSeconds(Math.Min(s, 300));
    }

    static void KillShim(int shim, int? pid, TimeSpan grace)
    {
        try
        {
            if (pid is { } p && Alive(p))
            {
                Process.GetProcessById(p).Kill(false);
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        _ = grace;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (Alive(shim) && DateTime.UtcNow < until) Thread.Sleep(50);
        if (Alive(shim)) try { Process.GetProcessById(shim).Kill(true); } catch (Exception) { }
    }

    /// <summary>SIGTERM, then SIGKILL after the grace period, as the kubelet stops a container.</summary>
    void Stop(Container c, TimeSpan grace)
    {
        if (c.ShimPid is not { } shim) return;
        if (c.Pid is { } pid && Alive(pid))
        {
            Signal(pid, 15);
            var until = DateTime.UtcNow + grace;
            while (Alive(pid) && DateTime.UtcNow < until) Thread.Sleep(50);
            if (Alive(pid)) Signal(pid, 9);
        }
        var stop = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (Alive(shim) && DateTime.UtcNow < stop) Thread.Sleep(50);
        c.ShimPid = null;
        c.Pid = null;
        try { Directory.Delete(c.StateDir, true); } catch (IOException) { }
    }

    static void Signal(int pid, int sig)
    {
        using var p = Process.Start(new ProcessStartInfo("kill", [$"-{sig}", pid.ToString()]) { UseShellExecute = false, RedirectStandardError = true })!;
        p.WaitForExit(2000);
    }

    /// <summary>One supervision pass: notice exits, restart with back-off, run probes.</summary>
    public async Task Supervise(CancellationToken ct)
    {
        List<(Pod pod, Container c)> work;
        lock (_gate) work = _pods.Values.SelectMany(p => p.Containers.Select(c => (p, c))).ToList();
        foreach (var (pod, c) in work)
        {
            lock (_gate)
            {
                if (c.ShimPid is { } shim && !Alive(shim))
                {
                    var code = ReadInt(Path.Combine(c.StateDir, "exit")) ?? 255;
                    var reason = code == 0 ? "Completed" : "Error";
                    c.LastTermination = (code, reason, c.StartedAt ?? DateTime.UtcNow, DateTime.UtcNow);
                    c.ShimPid = c.Pid = null;
                    c.Ready = c.Started = false;
                    c.RestartCount++;
                    var delay = Backoff(c.RestartCount);
                    c.NextStart = DateTime.UtcNow + delay;
                    c.WaitingReason = "CrashLoopBackOff";
                    c.WaitingMessage = $"back-off {delay.TotalSeconds:0}s restarting failed container={c.Name} pod={pod.Name}";
                    Log.Warn($"container {pod.Name}/{c.Name} exited with code {code}; restarting in {delay.TotalSeconds:0}s");
                }
                if (c.ShimPid is null && !c.Held && c.NextStart is { } ns && ns <= DateTime.UtcNow) Start(c, pod);
            }
            if (c.ShimPid is not null) await Probe(pod, c, ct);
        }
    }

    async Task Probe(Pod pod, Container c, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var since = now - (c.StartedAt ?? now);
        if (!c.Started)
        {
            if (c.StartupProbe is { } sp)
            {
                if (since < Capped(Delay(sp)) || now - c.LastStartupProbe < Capped(Period(sp))) return;
                c.LastStartupProbe = now;
                if (await Check(sp, ct, IsEtcd(c))) c.Started = true;
                return;
            }
            c.Started = true;
        }
        if (c.ReadinessProbe is { } rp)
        {
            if (since >= Capped(Delay(rp)) && now - c.LastReadinessProbe >= Capped(Period(rp)))
            {
                c.LastReadinessProbe = now;
                c.Ready = await Check(rp, ct, IsEtcd(c));
            }
        }
        else c.Ready = true;
        if (c.LivenessProbe is { } lp && since.TotalSeconds >= (lp.Long("initialDelaySeconds") ?? 0) && now - c.LastLivenessProbe >= Period(lp))
        {
            c.LastLivenessProbe = now;
            if (await Check(lp, ct, IsEtcd(c))) c.LivenessFailures = 0;
            else if (++c.LivenessFailures >= (lp.Long("failureThreshold") ?? 3))
            {
                Log.Warn($"container {pod.Name}/{c.Name} failed liveness probe {c.LivenessFailures} times, will be restarted");
                c.LivenessFailures = 0;
                if (c.Pid is { } pid) Signal(pid, 9);
            }
        }
    }

    bool IsEtcd(Container c) => c.Argv.Length > 0 && c.Argv[0] == opt.EtcdBinary;

    static TimeSpan Period(JsonObject probe) => TimeSpan.FromSeconds(probe.Long("periodSeconds") ?? 10);
    static TimeSpan Delay(JsonObject probe) => TimeSpan.FromSeconds(probe.Long("initialDelaySeconds") ?? 0);
    TimeSpan Capped(TimeSpan t) => opt.ProbeCap is { } cap && t > cap ? cap : t;

    static readonly HttpClient ProbeClient = new(new SocketsHttpHandler
    {
        SslOptions = new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        ConnectTimeout = TimeSpan.FromSeconds(2),
    }) { Timeout = Timeout.InfiniteTimeSpan };

    async Task<bool> Check(JsonObject probe, CancellationToken ct, bool etcd = false)
    {
        if (probe["httpGet"] is not JsonObject get) return true;
        var scheme = (get.Str("scheme") ?? "HTTP").ToLowerInvariant();
        var host = get.Str("host") is { Length: > 0 } h ? h : opt.NodeIp;
        var port = get.Long("port") ?? 80;
        var path = get.Str("path") ?? "/";
        // Debian's etcd 3.4 has /health only; kubeadm releases that probe etcd 3.5+ use /livez and /readyz.
        if (etcd && (path.StartsWith("/livez") || path.StartsWith("/readyz"))) path = "/health";
        var url = $"{scheme}://{(host.Contains(':') ? $"[{host}]" : host)}:{port}{path}";
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(Math.Min(probe.Long("timeoutSeconds") ?? 1, 5)));
        try
        {
            using var resp = await ProbeClient.GetAsync(url, cts.Token);
            return (int)resp.StatusCode is >= 200 and < 400;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
    }

    // ------------------------------------------------------------------ lab fault injection

    public Pod? Find(string name)
    {
        lock (_gate) return _pods.Values.FirstOrDefault(p => p.Name == name || p.FullName == name);
    }

    /// <summary>SIGKILL the pod's containers: a crash the kubelet notices and restarts with back-off.</summary>
    public bool Kill(string name)
    {
        var pod = Find(name);
        if (pod is null) return false;
        foreach (var c in pod.Containers) if (c.Pid is { } pid) Signal(pid, 9);
        Log.Info($"lab: killed static pod {pod.FullName}");
        return true;
    }

    /// <summary>Stop the pod and keep it stopped (e.g. etcd unreachable) until <see cref="Release"/>.</summary>
    public bool Hold(string name)
    {
        var pod = Find(name);
        if (pod is null) return false;
        lock (_gate)
            foreach (var c in pod.Containers)
            {
                c.Held = true;
                if (c.Pid is { } pid) Signal(pid, 9);
            }
        Log.Info($"lab: holding static pod {pod.FullName} stopped");
        return true;
    }

    public bool Release(string name)
    {
        var pod = Find(name);
        if (pod is null) return false;
        lock (_gate)
            foreach (var c in pod.Containers)
            {
                c.Held = false;
                c.NextStart ??= DateTime.UtcNow;
            }
        Log.Info($"lab: released static pod {pod.FullName}");
        return true;
    }

    public JsonArray Describe()
    {
        var a = new JsonArray();
        foreach (var p in Snapshot())
            foreach (var c in p.Containers)
                a.Add(new JsonObject
                {
                    ["pod"] = p.FullName, ["container"] = c.Name, ["image"] = c.Image, ["pid"] = c.Pid, ["restartCount"] = c.RestartCount,
                    ["running"] = c.ShimPid is not null, ["ready"] = c.Ready, ["held"] = c.Held, ["waiting"] = c.WaitingReason,
                    ["lastExitCode"] = c.LastTermination?.code, ["manifest"] = p.File, ["hash"] = p.Hash,
                });
        return a;
    }
}
