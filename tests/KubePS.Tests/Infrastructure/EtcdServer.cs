using System.Diagnostics;

namespace KubePS.Tests.Infrastructure;

/// <summary>
/// A real etcd (Debian's etcd-server) on 127.0.0.1 with free ports and TLS everywhere, started for a test and
/// killed with its data when disposed.
/// </summary>
public sealed class EtcdServer : IDisposable
{
    readonly Process _process;

    public EtcdServer(string dir, string name, string serverCert, string serverKey, string peerCert, string peerKey, string caCert)
    {
        Dir = dir;
        ClientPort = Tool.FreePort();
        PeerPort = Tool.FreePort();
        ClientUrl = $"https://127.0.0.1:{ClientPort}";
        string peerUrl = $"https://127.0.0.1:{PeerPort}";
        var psi = new ProcessStartInfo("etcd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] {
            "--name", name, "--data-dir", Path.Combine(dir, "data"),
            "--listen-client-urls", ClientUrl, "--advertise-client-urls", ClientUrl,
            "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", $"{name}={peerUrl}", "--initial-cluster-state", "new",
            "--cert-file", serverCert, "--key-file", serverKey, "--client-cert-auth=true", "--trusted-ca-file", caCert,
            "--peer-cert-file", peerCert, "--peer-key-file", peerKey, "--peer-client-cert-auth=true", "--peer-trusted-ca-file", caCert,
            "--logger", "zap", "--log-outputs", Path.Combine(dir, "etcd.log") })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Dir { get; }
    public int ClientPort { get; }
    public int PeerPort { get; }
    public string ClientUrl { get; }
    public bool HasExited => _process.HasExited;

    /// <summary>Waits until etcdctl endpoint health succeeds with the given client certificate.</summary>
    public void WaitHealthy(string caCert, string clientCert, string clientKey, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        Tool.Result? last = null;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) throw new InvalidOperationException("etcd exited: " + Log());
            last = Etcdctl(caCert, clientCert, clientKey, "endpoint", "health");
            if (last.ExitCode == 0) return;
            Thread.Sleep(200);
        }
        throw new TimeoutException($"etcd at {ClientUrl} not healthy: {last?.Error} {Log()}");
    }

    public Tool.Result Etcdctl(string caCert, string clientCert, string clientKey, params string[] args) =>
        Tool.Run("etcdctl", ["--endpoints", ClientUrl, "--cacert", caCert, "--cert", clientCert, "--key", clientKey, "--dial-timeout", "3s", "--command-timeout", "5s", .. args],
            env: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" }, timeout: TimeSpan.FromSeconds(20));

    public string Log()
    {
        var p = Path.Combine(Dir, "etcd.log");
        if (!File.Exists(p)) return "";
        var lines = File.ReadAllLines(p);
        return string.Join("\n", lines.Skip(Math.Max(0, lines.Length - 10)));
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } } catch { }
        _process.Dispose();
        try { Directory.Delete(Path.Combine(Dir, "data"), recursive: true); } catch { }
    }
}
