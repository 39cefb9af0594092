using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace KubePS.LabControlPlane.Common;

/// <summary>What kube-controller-manager and kube-scheduler share: the secure health port and leader election.</summary>
public static class Components
{
    /// <summary>
    /// HTTPS /healthz, /livez, /readyz on --bind-address:--secure-port, with --tls-cert-file/--tls-private-key-file or,
    /// like the real components, a self-signed certificate made at start.
    /// </summary>
    public static async Task<WebApplication> StartHealth(string bind, int port, string? certFile, string? keyFile, Func<bool> healthy, string name)
    {
        X509Certificate2 cert;
        if (certFile is not null && keyFile is not null) cert = Pki.CertWithKey(certFile, keyFile, "--tls-cert-file/--tls-private-key-file");
        else
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest($"CN={bind}@{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            if (IPAddress.TryParse(bind, out var ip)) san.AddIpAddress(ip);
            req.CertificateExtensions.Add(san.Build());
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(Pki.ServerAuthOid)], false));
            cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        NullLifetime.Use(builder);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Parse(bind == "0.0.0.0" ? "0.0.0.0" : bind), port, lo =>
            {
                lo.Protocols = HttpProtocols.Http1;
                lo.UseHttps(cert);
            });
        });
        var app = builder.Build();
        app.Run(async ctx =>
        {
            var p = ctx.Request.Path.Value ?? "";
            if (p is "/healthz" or "/livez" or "/readyz" || p.StartsWith("/healthz/") || p.StartsWith("/livez/") || p.StartsWith("/readyz/"))
            {
                var ok = healthy();
                ctx.Response.StatusCode = ok ? 200 : 500;
                ctx.Response.ContentType = "text/plain; charset=utf-8";
                await ctx.Response.WriteAsync(ok ? "ok" : $"[-]{name} failed: reason withheld\nhealthz check failed\n");
                return;
            }
            ctx.Response.StatusCode = 404;
            await ctx.Response.WriteAsync("404 page not found\n");
        });
        try { await app.StartAsync(); }
        catch (IOException e) { throw new LabException($"cannot listen on {bind}:{port}: {e.Message}"); }
        return app;
    }

    public static string Identity() => $"{Environment.MachineName}_{Guid.NewGuid()}";
}

/// <summary>
/// Lease-based leader election as client-go does it (kube-system/NAME, 15s lease, renew every 2s). Losing the lease
/// ends the process, as with the real components; the kubelet then restarts it.
/// </summary>
public sealed class LeaderElector(KubeClient client, string name, string identity)
{
    const int LeaseSeconds = 15;
    public bool IsLeader { get; private set; }

    string Path => $"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{name}";

    public async Task Acquire(CancellationToken ct)
    {
        Log.Info($"attempting to acquire leader lease kube-system/{name}...");
        while (!ct.IsCancellationRequested)
        {
            try { if (await TryAcquireOrRenew(ct)) { IsLeader = true; Log.Info($"successfully acquired lease kube-system/{name}"); return; } }
            catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException)
            {
                if (ct.IsCancellationRequested) throw;
                Log.Warn($"error retrieving resource lock kube-system/{name}: {e.Message}");
            }
            await Task.Delay(2000, ct);
        }
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>Renews until the lease is lost (then the process exits) or <paramref name="ct"/> ends.</summary>
    public async Task KeepRenewing(CancellationToken ct)
    {
        var lastRenew = DateTime.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(2000, ct);
            try
            {
                if (await TryAcquireOrRenew(ct)) { lastRenew = DateTime.UtcNow; continue; }
                Log.Error($"leaderelection lost: lease kube-system/{name} is held by another candidate");
                Environment.Exit(1);
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException)
            {
                if (ct.IsCancellationRequested) return;
                Log.Warn($"failed to renew lease kube-system/{name}: {e.Message}");
                if (DateTime.UtcNow - lastRenew > TimeSpan.FromSeconds(10))
                {
                    Log.Error("leaderelection lost: failed to renew the lease within 10s");
                    Environment.Exit(1);
                }
            }
        }
    }

    /// <summary>
    /// Gives the lease up on a graceful stop (SIGTERM), as the real components do (ReleaseOnCancel), so a restarted
    /// instance takes over at once instead of waiting for the lease to expire.
    /// </summary>
    public void ReleaseOnExit() => Termination.OnTerminate(() =>
    {
        if (!IsLeader) return;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var lease = client.Get(Path, cts.Token).GetAwaiter().GetResult();
            if (lease is null || lease.Str("spec", "holderIdentity") != identity) return;
            var spec = lease.Ensure("spec");
            spec["holderIdentity"] = null;
            spec["leaseDurationSeconds"] = 1;
            spec["renewTime"] = J.NowMicro();
            client.Put(Path, lease, cts.Token).GetAwaiter().GetResult();
            Log.Info($"released lease kube-system/{name}");
        }
        catch (Exception e) { Log.Warn($"releasing lease kube-system/{name}: {e.Message}"); }
    });

    async Task<bool> TryAcquireOrRenew(CancellationToken ct)
    {
        var now = J.NowMicro();
        var lease = await client.Get(Path, ct);
        if (lease is null)
        {
            await client.Post("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", new JsonObject
            {
                ["apiVersion"] = "coordination.k8s.io/v1", ["kind"] = "Lease",
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "kube-system" },
                ["spec"] = new JsonObject
                {
                    ["holderIdentity"] = identity, ["leaseDurationSeconds"] = LeaseSeconds, ["acquireTime"] = now, ["renewTime"] = now, ["leaseTransitions"] = 0,
                },
            }, ct);
            return true;
        }
        var spec = lease.Ensure("spec");
        var holder = spec.Str("holderIdentity");
        var renew = lease.Time("spec", "renewTime") ?? DateTime.MinValue;
        var dur = spec.Long("leaseDurationSeconds") ?? LeaseSeconds;
        if (holder != identity && holder is { Length: > 0 } && DateTime.UtcNow - renew < TimeSpan.FromSeconds(dur)) return false;
        if (holder != identity)
        {
            spec["leaseTransitions"] = (spec.Long("leaseTransitions") ?? 0) + 1;
            spec["acquireTime"] = now;
        }
        spec["holderIdentity"] = identity;
        spec["leaseDurationSeconds"] = LeaseSeconds;
        spec["renewTime"] = now;
        try { await client.Put(Path, lease, ct); }
        catch (ApiException e) when (e.Code == 409) { return false; }
        return true;
    }
}

/// <summary>
/// No console lifetime: SIGTERM and SIGINT keep their default meaning (the process ends), as for the real
/// components, instead of being turned into a graceful host shutdown that our loops would not notice.
/// </summary>
public sealed class NullLifetime : Microsoft.Extensions.Hosting.IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static void Use(WebApplicationBuilder b) =>
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, NullLifetime>(b.Services);
}

/// <summary>
/// Work to do on SIGTERM/SIGINT before the process ends (the runtime raises no ProcessExit for signals):
/// e.g. giving up a leader lease, as the real components do on a graceful stop.
/// </summary>
public static class Termination
{
    static readonly List<Action> Actions = [];
    static System.Runtime.InteropServices.PosixSignalRegistration? _term, _int;

    public static void OnTerminate(Action action)
    {
        lock (Actions)
        {
            Actions.Add(action);
            _term ??= System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Handle);
            _int ??= System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Handle);
        }
    }

    static void Handle(System.Runtime.InteropServices.PosixSignalContext ctx)
    {
        ctx.Cancel = true;
        Action[] list;
        lock (Actions) list = [.. Actions];
        foreach (var a in list)
        {
            try { a(); } catch (Exception e) { Log.Warn("on termination: " + e.Message); }
        }
        Environment.Exit(0);
    }
}
