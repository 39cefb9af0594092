using System.Text;
using System.Text.RegularExpressions;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Preparation;

namespace KubePS.Core.Cluster;

/// <summary>A control-plane static pod and where it answers (host and port from its manifest's flags).</summary>
public sealed record StaticPodComponent(string Name, string Host, int Port)
{
    /// <summary>The four kubeadm static pods, in the order kubeadm restarts and upgrades them.</summary>
    public static readonly IReadOnlyList<string> Order = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

    /// <summary>
    /// Reads a kubeadm manifest's flags for the endpoint the component listens on: kube-apiserver --secure-port (6443),
    /// kube-controller-manager and kube-scheduler --bind-address and --secure-port (10257, 10259), etcd the first
    /// --listen-client-urls URL. A bind address of 0.0.0.0 or :: is reached on the loopback address.
    /// </summary>
    public static StaticPodComponent FromManifest(string name, string manifest)
    {
        string? Flag(string flag)
        {
            var m = Regex.Match(manifest, @"(?m)^\s*-\s*""?--" + Regex.Escape(flag) + @"=([^\s""]+)");
            return m.Success ? m.Groups[1].Value : null;
        }
        static string Reachable(string? bind) => bind is null or "0.0.0.0" or "::" or "" ? "127.0.0.1" : bind.Trim('[', ']');
        switch (name)
        {
            case "etcd":
            {
                var url = (Flag("listen-client-urls") ?? "https://127.0.0.1:2379").Split(',')[0];
                var uri = new Uri(url);
                return new(name, Reachable(uri.Host), uri.Port);
            }
            case "kube-apiserver":
                return new(name, Reachable(Flag("bind-address")), int.TryParse(Flag("secure-port"), out var a) ? a : 6443);
            case "kube-controller-manager":
                return new(name, Reachable(Flag("bind-address")), int.TryParse(Flag("secure-port"), out var c) ? c : 10257);
            case "kube-scheduler":
                return new(name, Reachable(Flag("bind-address")), int.TryParse(Flag("secure-port"), out var s) ? s : 10259);
            default:
                throw new ArgumentException($"{name} is not a kubeadm static pod", nameof(name));
        }
    }
}

/// <summary>
/// Restarts static pods as kubeadm's documentation says to after a certificate renewal: the manifest is moved out of
/// the manifests folder, the kubelet stops the pod (seen when its port closes), the manifest is moved back and the
/// kubelet starts it again (seen when its port opens). One component at a time, in kubeadm's order, all in one script;
/// a manifest is always put back, also when the script is stopped.
/// </summary>
public static class StaticPodRestart
{
    public static string Script(string manifestsDir, string tmpDir, IReadOnlyList<StaticPodComponent> components, TimeSpan stopTimeout, TimeSpan startTimeout)
    {
        var sb = new StringBuilder();
        sb.Append("set -u\n");
        sb.Append("port_open() { (exec 3<>\"/dev/tcp/$1/$2\") 2>/dev/null; }\n");
        sb.Append("d=").Append(Bash.Quote(tmpDir)).Append("; mkdir -p \"$d\" && chmod 700 \"$d\" || exit 2\n");
        foreach (var c in components)
        {
            string manifest = manifestsDir.TrimEnd('/') + "/" + c.Name + ".yaml";
            string parked = "$d/" + c.Name + ".yaml";
            sb.Append($"m={Bash.Quote(manifest)}; h={Bash.Quote(c.Host)}; p={c.Port}\n");
            sb.Append("if [ ! -f \"$m\" ]; then echo \"KUBEPS-MISSING ").Append(c.Name).Append("\"; exit 3; fi\n");
            sb.Append("trap 'mv -f \"").Append(parked).Append("\" \"$m\" 2>/dev/null' EXIT\n");
            sb.Append("mv -f \"$m\" \"").Append(parked).Append("\" || exit 2\n");
            sb.Append($"i=0; while port_open \"$h\" \"$p\" && [ $i -lt {(int)stopTimeout.TotalSeconds * 2} ]; do sleep 0.5; i=$((i+1)); done\n");
            sb.Append("if port_open \"$h\" \"$p\"; then echo \"KUBEPS-NOT-STOPPED ").Append(c.Name).Append("\"; fi\n");
            sb.Append("mv -f \"").Append(parked).Append("\" \"$m\" || exit 2\ntrap - EXIT\n");
            sb.Append($"i=0; until port_open \"$h\" \"$p\" || [ $i -ge {(int)startTimeout.TotalSeconds * 2} ]; do sleep 0.5; i=$((i+1)); done\n");
            sb.Append("if port_open \"$h\" \"$p\"; then echo \"KUBEPS-RESTARTED ").Append(c.Name).Append("\"; else echo \"KUBEPS-NOT-STARTED ")
              .Append(c.Name).Append("\"; exit 4; fi\n");
        }
        sb.Append("rmdir \"$d\" 2>/dev/null; exit 0\n");
        return sb.ToString();
    }

    /// <summary>
    /// Restarts <paramref name="components"/> on the session's node; returns the names restarted. A component that was
    /// not seen to stop is reported as a warning (the kubelet may not have noticed the removal); one that does not come
    /// back fails with Cluster.StaticPodNotRestarted, its manifest back in place.
    /// </summary>
    public static async Task<IReadOnlyList<string>> RestartAsync(KubeNodeSession session, string manifestsDir, string tmpDir,
        IReadOnlyList<StaticPodComponent> components, IOperationSink sink, CancellationToken ct, TimeSpan? stopTimeout = null, TimeSpan? startTimeout = null)
    {
        if (components.Count == 0) return [];
        var stop = stopTimeout ?? TimeSpan.FromSeconds(90);
        var start = startTimeout ?? TimeSpan.FromMinutes(3);
        var script = Script(manifestsDir, tmpDir, components, stop, start);
        var r = await session.RunAsync(script, stop * components.Count + start * components.Count + TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
        var restarted = new List<string>();
        foreach (var line in r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("KUBEPS-RESTARTED ", StringComparison.Ordinal))
            {
                restarted.Add(line[17..]);
                sink.WriteVerbose($"{session.HostName}: restarted {line[17..]} (manifest moved out and back)");
            }
            else if (line.StartsWith("KUBEPS-NOT-STOPPED ", StringComparison.Ordinal))
                sink.WriteWarning($"{session.HostName}: {line[19..]} still answered {stop.TotalSeconds:0} s after its manifest was moved out; it was put back anyway.");
        }
        if (r.ExitCode != 0)
        {
            var failed = r.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("KUBEPS-NOT-STARTED ") || l.StartsWith("KUBEPS-MISSING "));
            string what = failed?.StartsWith("KUBEPS-MISSING ") == true
                ? $"its manifest {manifestsDir}/{failed[15..]}.yaml does not exist"
                : failed is not null ? $"{failed[19..]} did not answer within {start.TotalSeconds:0} s after its manifest was put back" : $"the restart script failed ({r.ExitCode}): {r.Error.Trim()}";
            throw new KubeException("Cluster.StaticPodNotRestarted", $"{session.HostName}: restarting static pods: {what}.",
                KubeErrorCategory.ResourceUnavailable, session.HostName,
                "Look at the kubelet's log and the component's container log on the node.");
        }
        return restarted;
    }
}
