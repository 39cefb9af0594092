using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.Scheduler;

/// <summary>
/// The lab kube-scheduler, started with kube-scheduler's flags as kubeadm writes them. It binds pending pods of the
/// default scheduler (pods/binding) to a Ready, schedulable node whose taints (NoSchedule/NoExecute) the pod tolerates
/// and whose labels match its nodeSelector, preferring the node with the fewest pods.
/// </summary>
public sealed class SchedulerMain
{
    public static Task<int> Run(string[] args) => new SchedulerMain().RunAsync(args);

    async Task<int> RunAsync(string[] args)
    {
        Log.Component = "kube-scheduler";
        var f = new Flags(args);
        string? kubeconfig = f.Get("kubeconfig");
        if (f.Get("config") is { } configFile)
        {
            Pki.Exists(configFile, "--config");
            var cfg = Yaml.ParseObject(File.ReadAllText(configFile), configFile);
            kubeconfig ??= cfg.Str("clientConnection", "kubeconfig");
        }
        if (kubeconfig is null) throw new LabException("flag --kubeconfig is required");
        var cfgKube = KubeConfig.Load(kubeconfig, "--kubeconfig");
        foreach (var k in new[] { "authentication-kubeconfig", "authorization-kubeconfig" })
            if (f.Get(k) is { } p) KubeConfig.Load(p, "--" + k);
        var leaderElect = f.Bool("leader-elect", true);
        var bind = f.Get("bind-address", "0.0.0.0");
        var port = f.Int("secure-port", 10259);
        var tlsCert = f.Get("tls-cert-file");
        var tlsKey = f.Get("tls-private-key-file");
        var name = f.Get("lab-scheduler-name", "default-scheduler");
        var unread = f.Unread.ToList();
        if (unread.Count > 0) Log.Info("flags the lab scheduler does not use: " + string.Join(", ", unread.Select(u => "--" + u)));

        using var client = new KubeClient(cfgKube, "kube-scheduler/lab (linux/amd64) kubernetes/lab/scheduler");
        await Components.StartHealth(bind, port, tlsCert, tlsKey, () => true, "leaderElection");
        using var cts = new CancellationTokenSource();
        if (leaderElect)
        {
            var le = new LeaderElector(client, "kube-scheduler", Components.Identity());
            await le.Acquire(cts.Token);
            le.ReleaseOnExit();
            _ = le.KeepRenewing(cts.Token);
        }
        string? lastError = null;
        while (true)
        {
            try { await Schedule(client, name, cts.Token); lastError = null; }
            catch (Exception e)
            {
                if (e.Message != lastError) Log.Warn("scheduling: " + e.Message);
                lastError = e.Message;
            }
            await Task.Delay(1000);
        }
    }

    static async Task Schedule(KubeClient client, string schedulerName, CancellationToken ct)
    {
        var pods = await client.List("/api/v1/pods", ct);
        var pending = pods.Where(p => p.Str("spec", "nodeName") is null or ""
            && (p.Str("spec", "schedulerName") ?? "default-scheduler") == schedulerName
            && p.Str("metadata", "deletionTimestamp") is null
            && p.Str("status", "phase") is not ("Succeeded" or "Failed")).ToList();
        if (pending.Count == 0) return;
        var nodes = await client.List("/api/v1/nodes", ct);
        var load = pods.Where(p => p.Str("spec", "nodeName") is { Length: > 0 }).GroupBy(p => p.Str("spec", "nodeName")!)
            .ToDictionary(g => g.Key, g => g.Count());
        foreach (var pod in pending)
        {
            var fits = nodes.Where(n => Fits(pod, n)).OrderBy(n => load.GetValueOrDefault(n.Str("metadata", "name")!))
                .ThenBy(n => n.Str("metadata", "name"), StringComparer.Ordinal).ToList();
            var ns = pod.Str("metadata", "namespace")!;
            var name = pod.Str("metadata", "name")!;
            if (fits.Count == 0) continue;
            var node = fits[0].Str("metadata", "name")!;
            try
            {
                await client.Post($"/api/v1/namespaces/{ns}/pods/{name}/binding", new JsonObject
                {
                    ["apiVersion"] = "v1", ["kind"] = "Binding",
                    ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = pod.Str("metadata", "uid") },
                    ["target"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = node },
                }, ct);
                load[node] = load.GetValueOrDefault(node) + 1;
                Log.Info($"Successfully bound pod to node pod=\"{ns}/{name}\" node=\"{node}\"");
            }
            catch (ApiException e) when (e.Code is 404 or 409) { }
        }
    }

    public static bool Fits(JsonObject pod, JsonObject node)
    {
        var ready = node.Arr("status", "conditions").FirstOrDefault(c => c.Str("type") == "Ready");
        if (ready.Str("status") != "True") return false;
        if (node.Bool("spec", "unschedulable") == true && !Tolerates(pod, "node.kubernetes.io/unschedulable", "", "NoSchedule")) return false;
        foreach (var t in node.Arr("spec", "taints"))
        {
            var effect = t.Str("effect") ?? "";
            if (effect is not ("NoSchedule" or "NoExecute")) continue;
            if (!Tolerates(pod, t.Str("key") ?? "", t.Str("value") ?? "", effect)) return false;
        }
        var labels = node.Obj("metadata", "labels");
        foreach (var (k, v) in pod.Obj("spec", "nodeSelector"))
            if (labels.Str(k) != v.Str()) return false;
        return true;
    }

    static bool Tolerates(JsonObject pod, string key, string value, string effect) =>
        pod.Arr("spec", "tolerations").Any(t =>
        {
            var te = t.Str("effect") ?? "";
            if (te.Length > 0 && te != effect) return false;
            var op = t.Str("operator") ?? "Equal";
            var tk = t.Str("key") ?? "";
            if (op == "Exists") return tk.Length == 0 || tk == key;
            return tk == key && (t.Str("value") ?? "") == value;
        });
}
