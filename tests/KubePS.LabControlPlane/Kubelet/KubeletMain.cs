using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace KubePS.LabControlPlane.Kubelet;

/// <summary>
/// The lab kubelet, started with the real kubelet's flags (as systemd does with kubeadm's drop-in:
/// --bootstrap-kubeconfig --kubeconfig --config plus kubeadm-flags.env). Lab-only flags, all optional:
/// --lab-root (prefix for the default paths: /var/lib/kubelet, /etc/kubernetes, /var/log/pods, /run),
/// --lab-kubelet-version, --lab-etcd-binary, --lab-exe, --lab-backoff-base, --lab-run-dir, --lab-container-runtime-version.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KubeletMain
{
    public static Task<int> Run(string[] args) => new KubeletMain().RunAsync(args);

    static string Under(string root, string path) => root.Length == 0 ? path : Path.Combine(root, path.TrimStart('/'));

    static string[] LabCommand(string? labExe)
    {
        if (labExe is { Length: > 0 }) return labExe.EndsWith(".dll") ? ["dotnet", labExe] : [labExe];
        var proc = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(proc) == "dotnet" ? [proc, Assembly.GetExecutingAssembly().Location] : [proc];
    }

    static string DetectIp()
    {
        foreach (var ni in NetworkInterface.GetAllNetworkInterfaces().Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback))
            foreach (var a in ni.GetIPProperties().UnicastAddresses)
                if (a.Address.AddressFamily == AddressFamily.InterNetwork) return a.Address.ToString();
        return "127.0.0.1";
    }

    static JsonArray ParseTaints(string spec)
    {
        var a = new JsonArray();
        foreach (var t in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = t.LastIndexOf(':');
            if (colon < 0) throw new LabException($"--register-with-taints: \"{t}\" is not key[=value]:Effect");
            var kv = t[..colon];
            var effect = t[(colon + 1)..];
            if (effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
                throw new LabException($"--register-with-taints: invalid taint effect \"{effect}\"");
            var eq = kv.IndexOf('=');
            var o = new JsonObject { ["key"] = eq < 0 ? kv : kv[..eq] };
            if (eq >= 0) o["value"] = kv[(eq + 1)..];
            o["effect"] = effect;
            a.Add(o);
        }
        return a;
    }

    async Task<int> RunAsync(string[] args)
    {
        Log.Component = "kubelet";
        var f = new Flags(args);
        var root = f.Get("lab-root", "");
        var configPath = f.Get("config");
        JsonObject config = new();
        if (configPath is not null)
        {
            if (!File.Exists(configPath))
                throw new LabException($"failed to load kubelet config file, path: {configPath}, error: open {configPath}: no such file or directory");
            try { config = Yaml.ParseObject(File.ReadAllText(configPath), configPath); }
            catch (FormatException e) { throw new LabException($"failed to load kubelet config file, path: {configPath}, error: {e.Message}"); }
            if (config.Str("kind") is { } kind && kind != "KubeletConfiguration")
                throw new LabException($"kubelet config file {configPath}: kind {kind}, expected KubeletConfiguration");
        }
        if (config.Str("authentication", "x509", "clientCAFile") is { Length: > 0 } caFile) Pki.Bundle(caFile, "authentication.x509.clientCAFile");
        var rootDir = f.Get("root-dir") ?? Under(root, "/var/lib/kubelet");
        var certDir = f.Get("cert-dir") ?? Path.Combine(rootDir, "pki");
        var staticPodPath = config.Str("staticPodPath") ?? f.Get("pod-manifest-path");
        var kubeconfig = f.Get("kubeconfig");
        var bootstrap = f.Get("bootstrap-kubeconfig");
        var nodeName = (f.Get("hostname-override") ?? Dns.GetHostName()).ToLowerInvariant();
        var nodeIp = f.Get("node-ip") ?? DetectIp();
        var labels = new Dictionary<string, string>();
        foreach (var l in (f.Get("node-labels") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = l.IndexOf('=');
            labels[eq < 0 ? l : l[..eq]] = eq < 0 ? "" : l[(eq + 1)..];
        }
        var taints = ParseTaints(f.Get("register-with-taints") ?? "");
        f.Get("container-runtime-endpoint");
        f.Get("pod-infra-container-image");
        var healthzAddr = config.Str("healthzBindAddress") ?? "127.0.0.1";
        var healthzPort = (int)(config.Long("healthzPort") ?? 10248);
        var statusFreq = Flags.ParseDuration(config.Str("nodeStatusUpdateFrequency") ?? "10s") ?? TimeSpan.FromSeconds(10);
        var leaseSeconds = (int)(config.Long("nodeLeaseDurationSeconds") ?? 40);
        var version = f.Get("lab-kubelet-version") ?? Environment.GetEnvironmentVariable("LAB_KUBELET_VERSION") ?? "v1.32.4";
        if (!version.StartsWith('v')) version = "v" + version;
        var runtime = new RuntimeOptions(
            StaticPodPath: staticPodPath ?? "",
            RunDir: f.Get("lab-run-dir") ?? Under(root, "/run/lab-kubelet"),
            PodLogDir: Under(root, "/var/log/pods"),
            EtcdBinary: f.Get("lab-etcd-binary") ?? "/usr/bin/etcd",
            LabCommand: LabCommand(f.Get("lab-exe")),
            BackoffBase: f.Duration("lab-backoff-base", TimeSpan.FromSeconds(10)),
            LabRoot: root, NodeIp: nodeIp,
            ProbeCap: f.Get("lab-probe-cap") is null ? null : f.Duration("lab-probe-cap", TimeSpan.Zero));
        var runtimeVersion = f.Get("lab-container-runtime-version", "lab://kubeps-lab-kubelet");
        var unread = f.Unread.ToList();
        if (unread.Count > 0) Log.Info("flags the lab kubelet does not use: " + string.Join(", ", unread.Select(u => "--" + u)));
        Log.Info($"node {nodeName} ({nodeIp}), kubelet {version}, static pods from {(staticPodPath ?? "(none)")}");

        var pods = new StaticPods(runtime);
        using var cts = new CancellationTokenSource();
        await StartHealth(healthzAddr, healthzPort, pods);

        // Static pods do not wait for the API server (which may be one of them).
        _ = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                try { if (staticPodPath is not null) pods.Sync(); await pods.Supervise(cts.Token); }
                catch (Exception e) { Log.Error("static pods: " + e); }
                await Task.Delay(500);
            }
        });

        if (kubeconfig is null)
        {
            Log.Info("no --kubeconfig: running standalone (static pods only)");
            await Task.Delay(Timeout.Infinite, cts.Token);
            return 0;
        }
        if (!TlsBootstrap.KubeconfigUsable(kubeconfig))
        {
            if (bootstrap is null)
                throw new LabException($"unable to load kubeconfig {kubeconfig} and no --bootstrap-kubeconfig is set");
            if (!File.Exists(bootstrap))
                throw new LabException($"unable to load bootstrap kubeconfig: stat {bootstrap}: no such file or directory");
            await TlsBootstrap.Run(bootstrap, kubeconfig, certDir, nodeName, cts.Token);
        }
        var cfg = KubeConfig.Load(kubeconfig, "--kubeconfig");
        using var client = new KubeClient(cfg, $"kubelet/{version} (linux/amd64) kubernetes/lab");
        var agent = new NodeAgent(client, new NodeOptions(nodeName, nodeIp, version, runtimeVersion, labels, taints, statusFreq, leaseSeconds,
            (int)(config.Long("port") ?? 10250)), pods);
        string? lastError = null;
        while (!cts.IsCancellationRequested)
        {
            try
            {
                await agent.Tick(cts.Token);
                if (lastError is not null) Log.Info("API server reachable again");
                lastError = null;
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                var msg = e is HttpRequestException h ? h.Message + (h.InnerException is { } ie ? ": " + ie.Message : "") : e.Message;
                if (msg != lastError) Log.Warn("API: " + msg);
                lastError = msg;
            }
            await Task.Delay(1000);
        }
        return 0;
    }

    /// <summary>healthz (as the real kubelet) plus the lab's fault endpoints, on healthzBindAddress:healthzPort (loopback).</summary>
    static async Task StartHealth(string addr, int port, StaticPods pods)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        NullLifetime.Use(builder);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(addr), port, lo => lo.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        app.Run(async ctx =>
        {
            var p = ctx.Request.Path.Value ?? "";
            var parts = p.Trim('/').Split('/');
            async Task Json(int code, JsonNode body)
            {
                ctx.Response.StatusCode = code;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(body.Text());
            }
            switch (parts)
            {
                case ["healthz"] or ["healthz", ..]:
                    ctx.Response.ContentType = "text/plain; charset=utf-8";
                    await ctx.Response.WriteAsync("ok");
                    return;
                case ["lab", "pods"] when ctx.Request.Method == "GET":
                    await Json(200, new JsonObject { ["containers"] = pods.Describe() });
                    return;
                case ["lab", "pods", var name, var action] when ctx.Request.Method == "POST":
                    var ok = action switch
                    {
                        "kill" => pods.Kill(name),
                        "hold" => pods.Hold(name),
                        "release" => pods.Release(name),
                        _ => false,
                    };
                    await Json(ok ? 200 : 404, new JsonObject { ["pod"] = name, ["action"] = action, ["done"] = ok });
                    return;
                default:
                    ctx.Response.StatusCode = 404;
                    await ctx.Response.WriteAsync("404 page not found\n");
                    return;
            }
        });
        try { await app.StartAsync(); }
        catch (IOException e) { throw new LabException($"failed to listen on {addr}:{port} for healthz: {e.Message}"); }
    }
}
