using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ControllerManager;

/// <summary>
/// The lab kube-controller-manager, started with kube-controller-manager's flags as kubeadm writes them. It runs the
/// controllers kubeadm clusters depend on: csrapproving, csrsigning, bootstrapsigner, tokencleaner, nodelifecycle,
/// serviceaccount and root-ca-cert-publisher, each as its own service account when --use-service-account-credentials:
/// with a TokenRequest token, or, where the API server issues none (before 1.20 kubeadm gave it no
/// --service-account-issuer), with the legacy token of a kubernetes.io/service-account-token Secret signed with
/// --service-account-private-key-file, as the token controller and the controller client builder of those releases did.
/// </summary>
public sealed class ControllerManagerMain
{
    static readonly string[] Known = ["csrapproving", "csrsigning", "bootstrapsigner", "tokencleaner", "nodelifecycle", "serviceaccount", "root-ca-cert-publisher"];
    static readonly HashSet<string> OffByDefault = ["bootstrapsigner", "tokencleaner"];

    KubeConfig _cfg = null!;
    KubeClient _self = null!;
    bool _useSa;
    System.Security.Cryptography.AsymmetricAlgorithm? _saKey;
    readonly Dictionary<string, (KubeClient client, DateTime refresh)> _saClients = [];
    readonly SemaphoreSlim _saGate = new(1, 1);
    volatile bool _healthy = true;

    public static Task<int> Run(string[] args) => new ControllerManagerMain().RunAsync(args);

    static HashSet<string> Enabled(string spec)
    {
        var on = new HashSet<string>();
        var items = spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var i in items.Where(i => i == "*")) foreach (var k in Known.Where(k => !OffByDefault.Contains(k))) on.Add(k);
        foreach (var i in items.Where(i => i != "*"))
        {
            if (i.StartsWith('-')) on.Remove(i[1..]);
            else on.Add(i);
        }
        return on;
    }

    async Task<int> RunAsync(string[] args)
    {
        Log.Component = "kube-controller-manager";
        var f = new Flags(args);
        var kubeconfig = f.Required("kubeconfig");
        _cfg = KubeConfig.Load(kubeconfig, "--kubeconfig");
        foreach (var k in new[] { "authentication-kubeconfig", "authorization-kubeconfig" })
            if (f.Get(k) is { } p) KubeConfig.Load(p, "--" + k);
        if (f.Get("client-ca-file") is { } cca) Pki.Bundle(cca, "--client-ca-file");
        if (f.Get("requestheader-client-ca-file") is { } rca) Pki.Bundle(rca, "--requestheader-client-ca-file");
        string? rootCa = f.Get("root-ca-file") is { } rcf ? (Pki.Bundle(rcf, "--root-ca-file") is { } _ ? File.ReadAllText(rcf) : null) : null;
        if (f.Get("service-account-private-key-file") is { } sak)
            _saKey = ApiServer.ServiceAccountTokens.LoadKey(sak, "--service-account-private-key-file", requirePrivate: true);
        X509Certificate2? signer = null;
        var scf = f.Get("cluster-signing-cert-file");
        var skf = f.Get("cluster-signing-key-file");
        if (scf is { Length: > 0 } && skf is { Length: > 0 }) signer = Pki.CertWithKey(scf, skf, "--cluster-signing-cert-file/--cluster-signing-key-file");
        var signingDuration = f.Duration("cluster-signing-duration", TimeSpan.FromDays(365));
        var enabled = Enabled(f.Get("controllers", "*"));
        _useSa = f.Bool("use-service-account-credentials", false);
        var leaderElect = f.Bool("leader-elect", true);
        var grace = f.Duration("node-monitor-grace-period", TimeSpan.FromSeconds(40));
        var monitorPeriod = f.Duration("node-monitor-period", TimeSpan.FromSeconds(5));
        var startupGrace = f.Duration("node-startup-grace-period", TimeSpan.FromSeconds(60));
        var bind = f.Get("bind-address", "0.0.0.0");
        var port = f.Int("secure-port", 10257);
        var tlsCert = f.Get("tls-cert-file");
        var tlsKey = f.Get("tls-private-key-file");
        var unread = f.Unread.ToList();
        if (unread.Count > 0) Log.Info("flags the lab controller-manager does not use: " + string.Join(", ", unread.Select(u => "--" + u)));
        Log.Info("controllers: " + string.Join(",", enabled.Order()));

        _self = new KubeClient(_cfg, "kube-controller-manager/lab (linux/amd64) kubernetes/lab/leader-election");
        await Components.StartHealth(bind, port, tlsCert, tlsKey, () => _healthy, "leaderElection");
        using var cts = new CancellationTokenSource();
        if (leaderElect)
        {
            var le = new LeaderElector(_self, "kube-controller-manager", Components.Identity());
            await le.Acquire(cts.Token);
            le.ReleaseOnExit();
            _ = le.KeepRenewing(cts.Token);
        }

        var loops = new List<Task>();
        if (enabled.Contains("csrapproving")) loops.Add(Loop("csrapproving", TimeSpan.FromSeconds(1), async ct => await Csr.Approve(_self, await ClientAsync("certificate-controller", ct), ct), cts.Token));
        if (enabled.Contains("csrsigning"))
        {
            if (signer is null) Log.Warn("csrsigning: no --cluster-signing-cert-file/--cluster-signing-key-file: approved CSRs stay unsigned");
            else loops.Add(Loop("csrsigning", TimeSpan.FromSeconds(1), async ct => await Csr.Sign(_self, await ClientAsync("certificate-controller", ct), signer, signingDuration, ct), cts.Token));
        }
        if (enabled.Contains("bootstrapsigner")) loops.Add(Loop("bootstrapsigner", TimeSpan.FromSeconds(1), async ct => await BootstrapTokens.Sign(_self, await ClientAsync("bootstrap-signer", ct), ct), cts.Token));
        if (enabled.Contains("tokencleaner")) loops.Add(Loop("tokencleaner", TimeSpan.FromSeconds(2), async ct => await BootstrapTokens.Clean(_self, await ClientAsync("token-cleaner", ct), ct), cts.Token));
        if (enabled.Contains("nodelifecycle"))
        {
            var nl = new NodeLifecycle(grace, startupGrace);
            loops.Add(Loop("nodelifecycle", monitorPeriod, async ct => await nl.Monitor(_self, await ClientAsync("node-controller", ct), ct), cts.Token));
        }
        if (enabled.Contains("serviceaccount")) loops.Add(Loop("serviceaccount", TimeSpan.FromSeconds(2), async ct => await Namespaced.DefaultServiceAccounts(_self, await ClientAsync("service-account-controller", ct), ct), cts.Token));
        if (enabled.Contains("root-ca-cert-publisher") && rootCa is not null)
            loops.Add(Loop("root-ca-cert-publisher", TimeSpan.FromSeconds(2), async ct => await Namespaced.PublishRootCa(_self, await ClientAsync("root-ca-cert-publisher", ct), rootCa, ct), cts.Token));
        await Task.WhenAll(loops);
        return 0;
    }

    static async Task Loop(string name, TimeSpan period, Func<CancellationToken, Task> work, CancellationToken ct)
    {
        string? lastError = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await work(ct);
                if (lastError is not null) Log.Info($"{name}: recovered");
                lastError = null;
            }
            catch (Exception e)
            {
                if (ct.IsCancellationRequested) return;
                if (e.Message != lastError) Log.Warn($"{name}: {e.Message}");
                lastError = e.Message;
            }
            try { await Task.Delay(period, ct); } catch (TaskCanceledException) { return; }
        }
    }

    /// <summary>
    /// The client a controller writes with: its own service account (token via TokenRequest) or the KCM identity.
    /// Reads go through the KCM identity, as the real shared informers do.
    /// </summary>
    async Task<KubeClient> ClientAsync(string serviceAccount, CancellationToken ct)
    {
        if (!_useSa) return _self;
        await _saGate.WaitAsync(ct);
        try
        {
            if (_saClients.TryGetValue(serviceAccount, out var c) && DateTime.UtcNow < c.refresh) return c.client;
            var saPath = $"/api/v1/namespaces/kube-system/serviceaccounts/{serviceAccount}";
            if (await _self.Get(saPath, ct) is null)
            {
                try
                {
                    await _self.Post("/api/v1/namespaces/kube-system/serviceaccounts", new JsonObject
                    {
                        ["apiVersion"] = "v1", ["kind"] = "ServiceAccount",
                        ["metadata"] = new JsonObject { ["name"] = serviceAccount, ["namespace"] = "kube-system" },
                    }, ct);
                }
                catch (ApiException e) when (e.Code == 409) { }
            }
            string token;
            try
            {
                var tr = await _self.Post(saPath + "/token", new JsonObject
                {
                    ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenRequest",
                    ["spec"] = new JsonObject { ["expirationSeconds"] = 3600 },
                }, ct);
                token = tr.Str("status", "token") ?? throw new LabException($"TokenRequest for {serviceAccount} returned no token");
            }
            catch (ApiException e) when (e.Code == 404)
            {
                token = await LegacyTokenAsync(serviceAccount, ct);
            }
            var client = new KubeClient(_cfg.Server, _cfg.CaBundle, _cfg.Insecure, null, token, $"kube-controller-manager/lab (linux/amd64) kubernetes/lab/{serviceAccount}");
            if (_saClients.TryGetValue(serviceAccount, out var old)) old.client.Dispose();
            _saClients[serviceAccount] = (client, DateTime.UtcNow.AddMinutes(45));
            return client;
        }
        finally { _saGate.Release(); }
    }

    /// <summary>
    /// The service account's legacy token: from its kubernetes.io/service-account-token Secret in kube-system, made
    /// (name &lt;sa&gt;-token-&lt;5 random&gt;, token signed with --service-account-private-key-file) when there is none yet.
    /// </summary>
    async Task<string> LegacyTokenAsync(string serviceAccount, CancellationToken ct)
    {
        var key = _saKey ?? throw new LabException(
            $"the API server issues no TokenRequest tokens and there is no --service-account-private-key-file to sign a legacy token for {serviceAccount}");
        var sa = await _self.Get($"/api/v1/namespaces/kube-system/serviceaccounts/{serviceAccount}", ct)
            ?? throw new LabException($"service account kube-system/{serviceAccount} is missing");
        var uid = sa.Str("metadata", "uid") ?? "";
        foreach (var secret in await _self.List("/api/v1/namespaces/kube-system/secrets", ct))
            if (secret.Str("type") == "kubernetes.io/service-account-token"
                && secret.Str("metadata", "annotations", "kubernetes.io/service-account.name") == serviceAccount
                && secret.Str("metadata", "annotations", "kubernetes.io/service-account.uid") == uid
                && secret.Str("data", "token") is { } data)
                return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(data));
        var name = $"{serviceAccount}-token-{Guid.NewGuid():N}"[..(serviceAccount.Length + 12)];
        var token = ApiServer.ServiceAccountTokens.IssueLegacy(key, "kube-system", serviceAccount, uid, name);
        await _self.Post("/api/v1/namespaces/kube-system/secrets", new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Secret", ["type"] = "kubernetes.io/service-account-token",
            ["metadata"] = new JsonObject
            {
                ["name"] = name, ["namespace"] = "kube-system",
                ["annotations"] = new JsonObject { ["kubernetes.io/service-account.name"] = serviceAccount, ["kubernetes.io/service-account.uid"] = uid },
            },
            ["stringData"] = new JsonObject { ["token"] = token, ["namespace"] = "kube-system" },
        }, ct);
        Log.Info($"{serviceAccount}: the API server issues no TokenRequest tokens; using the legacy token of Secret kube-system/{name}");
        return token;
    }
}
