using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using KubePS.Core.Cluster;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Operations;
using KubePS.Core.Pki;

namespace KubePS.Core.Workflows.Reset;

/// <summary>
/// reset preflight: checks that scripts run as root and reads, in one round trip, what the node is: its static pod
/// manifests, its kubelet client certificate (the Node's name) and its etcd client certificate.
/// </summary>
sealed class PreflightPhase : Phase<ResetContext>
{
    public override string Name => "preflight";
    public override string Summary => "Check root and read what the node runs";

    public override async Task RunAsync(ResetContext c, IOperationSink sink, CancellationToken ct)
    {
        var who = await c.Session.RunAsync("id -u; uname -n", TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        var lines = who.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!who.Succeeded || lines.Length < 2 || lines[0] != "0")
            throw new KubeException("Reset.NotRoot", $"{c.HostName}: reset needs root, and scripts there do not run as root (id -u: {lines.FirstOrDefault()}).",
                KubeErrorCategory.PermissionDenied, c.HostName, "Log in as root or as a user with passwordless sudo.");
        var p = c.Request.Paths;
        var manifestPaths = StaticPodComponent.Order.ToDictionary(n => n, n => p.ManifestsDir + "/" + n + ".yaml");
        string kubeletConf = p.KubeConfigDir.TrimEnd('/') + "/kubelet.conf";
        string kubeletPem = c.Request.KubeletDir.TrimEnd('/') + "/pki/kubelet-client-current.pem";
        string etcdCa = p.CertificatesDir.TrimEnd('/') + "/etcd/ca.crt";
        string[] etcdClients = ["etcd/healthcheck-client", "apiserver-etcd-client"];
        var paths = manifestPaths.Values.Append(kubeletConf).Append(kubeletPem).Append(etcdCa)
            .Concat(etcdClients.SelectMany(n => new[] { p.CertificatesDir.TrimEnd('/') + "/" + n + ".crt", p.CertificatesDir.TrimEnd('/') + "/" + n + ".key" })).ToList();
        var files = await c.Session.ReadFilesAsync(paths, ct).ConfigureAwait(false);
        try
        {
            c.Manifests = manifestPaths.Where(m => files[m.Value] is not null).ToDictionary(m => m.Key, m => Encoding.UTF8.GetString(files[m.Value]!));
            if (c.Manifests.TryGetValue("etcd", out var etcd) && Regex.Match(etcd, @"(?m)^\s*-\s*--data-dir=(\S+)") is { Success: true } d)
                c.EtcdDataDir = d.Groups[1].Value;
            c.NodeName = c.Request.NodeName ?? NodeNameFrom(files[kubeletConf], files[kubeletPem], c.HostName) ?? lines[1].ToLowerInvariant();
            if (files[etcdCa] is { } ca)
                foreach (var n in etcdClients)
                    if (files[p.CertificatesDir.TrimEnd('/') + "/" + n + ".crt"] is { } crt && files[p.CertificatesDir.TrimEnd('/') + "/" + n + ".key"] is { } key)
                    {
                        c.EtcdClientPem = (Encoding.ASCII.GetString(ca), Encoding.ASCII.GetString(crt), Encoding.ASCII.GetString(key));
                        break;
                    }
            sink.WriteVerbose($"{c.HostName}: node {c.NodeName}, " + (c.ControlPlane ? $"control plane ({string.Join(", ", c.Manifests.Keys)})" : "no control-plane static pods"));
        }
        finally
        {
            foreach (var b in files.Values) if (b is not null) CryptographicOperations.ZeroMemory(b);
        }
    }

    /// <summary>The name in the kubelet's client certificate (CN system:node:NAME), embedded in kubelet.conf or in kubelet-client-current.pem.</summary>
    static string? NodeNameFrom(byte[]? kubeletConf, byte[]? pem, string host)
    {
        string? pemText = null;
        if (kubeletConf is not null)
        {
            try
            {
                var config = KubeConfigYaml.Parse(Encoding.UTF8.GetString(kubeletConf), host + ":kubelet.conf");
                if (config.CurrentUser?.ClientCertificateData is { Length: > 0 } data) pemText = Encoding.UTF8.GetString(data);
                else if (config.CurrentContext is { } ctx && config.Contexts.FirstOrDefault(x => x.Name == ctx)?.Context.User is { } u && u.StartsWith("system:node:"))
                    return u["system:node:".Length..];
            }
            catch (KubeException) { }
        }
        pemText ??= pem is null ? null : Encoding.UTF8.GetString(pem);
        if (pemText is null) return null;
        try
        {
            var cert = PkiFiles.ParseCertificates(pemText, host)[0];
            var cn = cert.GetNameInfo(X509NameType.SimpleName, false);
            return cn.StartsWith("system:node:", StringComparison.Ordinal) ? cn["system:node:".Length..] : null;
        }
        catch (KubeException) { return null; }
    }
}
