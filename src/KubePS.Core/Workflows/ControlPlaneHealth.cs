using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KubePS.Core.Api;

namespace KubePS.Core.Workflows;

/// <summary>A health endpoint of a control-plane component on its node.</summary>
/// <param name="Name">the component (kubelet, etcd, kube-apiserver, ...)</param>
/// <param name="Url">http(s)://host:port/path as seen from the node</param>
/// <param name="StaticPod">true for components the kubelet runs from a manifest (their logs are container logs)</param>
public sealed record HealthEndpoint(string Name, string Url, bool StaticPod)
{
    /// <summary>Where to look when it is not healthy.</summary>
    public string LogHint(string? containerId) => StaticPod
        ? containerId is { Length: > 0 } id
            ? $"crictl logs {id} (container of {Name}; crictl ps -a --name {Name})"
            : $"crictl ps -a --name {Name} then crictl logs <container> (no {Name} container was found: check journalctl -u kubelet for why the kubelet did not start it)"
        : $"journalctl -u {Name} and systemctl status {Name}";
}

/// <summary>
/// kubeadm's waits for a control plane (wait-control-plane): the kubelet's healthz, the API server's /readyz, and the
/// health endpoints of etcd, the controller-manager and the scheduler. Checks on the node run as one script per wait
/// (one round trip that loops on the node until everything is healthy or the time is up); the API server is asked
/// from here, over TLS pinned to the cluster CA, as the API phases will talk to it.
/// </summary>
public static class ControlPlaneHealth
{
    /// <summary>kubeadm's kubelet check: http://127.0.0.1:10248/healthz.</summary>
    public static HealthEndpoint Kubelet { get; } = new("kubelet", "http://127.0.0.1:10248/healthz", false);

    /// <summary>The kubelet's health endpoint with the KubeletConfiguration's healthzBindAddress and healthzPort, where given.</summary>
    public static HealthEndpoint KubeletOf(Configuration.KubeClusterConfiguration config)
    {
        var port = config.Kubelet?.Get("healthzPort") is { } p && int.TryParse(p, out var n) && n is > 0 and < 65536 ? n : 10248;
        var bind = config.Kubelet?.Get("healthzBindAddress");
        string host = string.IsNullOrEmpty(bind) || bind is "0.0.0.0" ? "127.0.0.1" : bind is "::" ? "[::1]" : bind.Contains(':') ? $"[{bind}]" : bind;
        return new("kubelet", $"http://{host}:{port}/healthz", false);
    }

    /// <summary>The endpoints of the control-plane Pods of a node: etcd (local only), kube-apiserver, kube-controller-manager, kube-scheduler.</summary>
    public static IReadOnlyList<HealthEndpoint> ControlPlane(ControlPlaneContext c)
    {
        var list = new List<HealthEndpoint>();
        bool v6 = c.AdvertiseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        string loopback = v6 ? "[::1]" : "127.0.0.1";
        if (!c.Configuration.IsExternalEtcd) list.Add(new("etcd", $"http://{loopback}:2381/health", true));
        list.Add(new("kube-apiserver", c.LocalUrl + "/livez", true));
        var kcm = c.Configuration.Cluster.ControllerManager;
        var scheduler = c.Configuration.Cluster.Scheduler;
        list.Add(new("kube-controller-manager", $"https://{Bind(kcm, loopback)}:{Port(kcm, c.Release.ControllerManagerSecurePort)}/healthz", true));
        list.Add(new("kube-scheduler", $"https://{Bind(scheduler, loopback)}:{Port(scheduler, c.Release.SchedulerSecurePort)}/healthz", true));
        return list;
    }

    static int Port(Configuration.ControlPlaneComponentOptions? o, int fallback) =>
        o?.ExtraArgs?.LastOrDefault(a => a.Name == "secure-port")?.Value is { } v && int.TryParse(v, out var p) && p is > 0 and < 65536 ? p : fallback;

    static string Bind(Configuration.ControlPlaneComponentOptions? o, string loopback)
    {
        var bind = o?.ExtraArgs?.LastOrDefault(a => a.Name == "bind-address")?.Value;
        if (string.IsNullOrEmpty(bind) || bind is "0.0.0.0" or "::") return loopback;
        return bind.Contains(':') ? $"[{bind}]" : bind;
    }

    /// <summary>
    /// A bash script for the node that waits up to <paramref name="timeout"/> for every endpoint to answer 200, then prints
    /// <c>name=healthy|unhealthy|unknown</c> per endpoint and, for static Pods, <c>name.container=&lt;id&gt;</c> from crictl.
    /// Exits 0 when all are healthy. HTTP needs only bash; HTTPS needs curl or wget on the node (else "unknown").
    /// </summary>
    public static string WaitScript(IReadOnlyList<HealthEndpoint> endpoints, TimeSpan timeout)
    {
        var sb = new StringBuilder();
        sb.Append("# KubePS: wait for control-plane health endpoints (reads only)\n");
        sb.Append(Preparation.Bash.Deadline(timeout));
        sb.Append("""
            probe() {
              local url=$1 rest host port path line
              case $url in
                http://*)
                  rest=${url#http://}; host=${rest%%/*}; path=/${rest#*/}; port=${host##*:}; host=${host%:*}; host=${host#[}; host=${host%]}
                  exec 3<>"/dev/tcp/$host/$port" 2>/dev/null || return 1
                  printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$host" >&3
                  IFS= read -r -t 5 line <&3 || line=
                  exec 3>&- 3<&-
                  case $line in *" 200"*) return 0 ;; *) return 1 ;; esac ;;
                https://*)
                  if command -v curl >/dev/null 2>&1; then curl -ksf -m 5 -o /dev/null "$url"; return $?; fi
                  if command -v wget >/dev/null 2>&1; then wget -q --no-check-certificate -T 5 -O /dev/null "$url"; return $?; fi
                  return 2 ;;
              esac
            }

            """);
        sb.Append("pending=(");
        foreach (var e in endpoints) sb.Append(' ').Append(Preparation.Bash.Quote($"{e.Name} {e.Url} {(e.StaticPod ? 1 : 0)}"));
        sb.Append(" )\n");
        sb.Append("""
            failed=()
            while :; do
              next=()
              for item in "${pending[@]}"; do
                read -r name url pod <<<"$item"
                probe "$url"; rc=$?
                if [ $rc -eq 0 ]; then echo "$name=healthy"
                elif [ $rc -eq 2 ]; then echo "$name=unknown"
                else next+=("$item"); fi
              done
              pending=("${next[@]}")
              [ ${#pending[@]} -eq 0 ] && break
              [ $SECONDS -ge $end ] && break
              sleep 1
            done
            for item in "${pending[@]}"; do
              read -r name url pod <<<"$item"
              echo "$name=unhealthy"
              if [ "$pod" = 1 ] && command -v crictl >/dev/null 2>&1; then
                id=$(crictl ps -a --name "$name" -q 2>/dev/null | head -n 1)
                echo "$name.container=$id"
              fi
            done
            [ ${#pending[@]} -eq 0 ]

            """);
        return sb.ToString();
    }

    /// <summary>The <c>name=state</c> and <c>name.container=id</c> lines of <see cref="WaitScript"/>'s output.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string output)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            int eq = line.IndexOf('=');
            if (eq > 0) map[line[..eq].Trim()] = line[(eq + 1)..].Trim();
        }
        return map;
    }

    /// <summary>
    /// The message of a failed wait: each component that is not healthy, with where its log is.
    /// </summary>
    public static string Describe(IReadOnlyList<HealthEndpoint> endpoints, IReadOnlyDictionary<string, string> states)
    {
        var parts = new List<string>();
        foreach (var e in endpoints)
        {
            var state = states.GetValueOrDefault(e.Name, "not checked");
            if (state == "healthy") continue;
            var where = state == "unknown" ? $"could not be checked ({e.Url} needs curl or wget on the node)" : $"not healthy at {e.Url}";
            parts.Add($"{e.Name} is {where}; its log: {e.LogHint(states.GetValueOrDefault(e.Name + ".container"))}");
        }
        return string.Join("; ", parts);
    }

    /// <summary>
    /// Polls the API server's /readyz until it answers 200 or <paramref name="timeout"/> passes. Anonymous first (a
    /// kubeadm cluster lets anyone read /readyz); with 401 or 403 it asks again as <paramref name="authenticated"/>.
    /// Returns whether it became ready and, when not, the last answer or error.
    /// </summary>
    public static async Task<(bool Ready, string Detail)> WaitApiServerAsync(string url, string caPem, KubeApiCredentials? authenticated,
        TimeSpan timeout, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var anonymous = new KubeApiClient(new KubeApiCredentials(new Uri(url), caPem), requestTimeout: TimeSpan.FromSeconds(5), retryBudget: TimeSpan.Zero);
        var client = anonymous;
        string detail = "no answer yet";
        try
        {
            while (true)
            {
                try
                {
                    var (status, body) = await client.GetRawAsync("/readyz", ct).ConfigureAwait(false);
                    if (status == (int)HttpStatusCode.OK) return (true, "ok");
                    detail = $"/readyz answered {status}: {NodeProbeTail(body)}";
                    if (status is 401 or 403 && authenticated is not null && ReferenceEquals(client, anonymous))
                    {
                        client = new KubeApiClient(authenticated, requestTimeout: TimeSpan.FromSeconds(5), retryBudget: TimeSpan.Zero);
                        continue;
                    }
                }
                catch (KubeException e) when (e.ErrorId == "Api.Unreachable")
                {
                    detail = e.InnerException?.Message ?? e.Message;
                }
                if (watch.Elapsed >= timeout) return (false, detail);
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            if (!ReferenceEquals(client, anonymous)) client.Dispose();
            anonymous.Dispose();
        }
    }

    static string NodeProbeTail(string text) => Nodes.NodeProbe.Tail(text.Replace('\n', ' '), 200);
}
