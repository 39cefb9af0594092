using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Operations;
using KubePS.Core.Pki;

namespace KubePS.Core.Bootstrap;

/// <summary>
/// File discovery (kubeadm's discovery.file, kubeadm-facts §6.2): a kubeconfig from a local path or an https:// URL
/// (fetched with the system trust store, never without verification) that names the API server and its CA, and may
/// carry credentials. The CA is taken as given (whoever wrote the file vouches for it); the API server must then prove
/// itself with that CA: cluster-info is fetched over verified TLS (with the file's credentials, if any) until the
/// discovery timeout. A 403 is accepted as kubeadm does (the TLS handshake already proved the server); a readable
/// cluster-info fills in a missing CA and a different server is reported as a warning.
/// </summary>
public static class DiscoveryFile
{
    /// <summary>Reads, checks and verifies a discovery file or URL.</summary>
    public static Task<DiscoveredCluster> DiscoverAsync(string pathOrUrl, TimeSpan timeout, IOperationSink sink, CancellationToken ct) =>
        DiscoverAsync(pathOrUrl, timeout, TokenDiscoveryRequest.DefaultRetryInterval, sink, ct, null);

    /// <summary>As above with the retry interval, and (tests only) <paramref name="urlTrust"/>: roots to trust for an https:// URL instead of the system store.</summary>
    internal static async Task<DiscoveredCluster> DiscoverAsync(string pathOrUrl, TimeSpan timeout, TimeSpan retryInterval, IOperationSink sink, CancellationToken ct,
        X509Certificate2Collection? urlTrust)
    {
        if (string.IsNullOrWhiteSpace(pathOrUrl))
            throw new KubeException("Discovery.InvalidFile", "The discovery file is empty.", KubeErrorCategory.InvalidArgument, pathOrUrl,
                "Give the path of a kubeconfig file or an https:// URL.");
        var (text, baseDirectory) = await ReadAsync(pathOrUrl, urlTrust, ct).ConfigureAwait(false);
        var config = KubeConfigYaml.Parse(text, pathOrUrl);
        if (config.Clusters.Count == 0)
            throw new KubeException("Discovery.InvalidFile", $"The discovery file {pathOrUrl} defines no cluster.", KubeErrorCategory.InvalidData, pathOrUrl,
                "Give a kubeconfig with a cluster entry (server and certificate-authority-data).");
        // kubeadm's choice: the unnamed cluster, else the current context's, else the only one.
        var named = config.Clusters.FirstOrDefault(c => c.Name == "")
                    ?? config.Clusters.FirstOrDefault(c => c.Name == config.Contexts.FirstOrDefault(x => x.Name == config.CurrentContext)?.Context.Cluster)
                    ?? (config.Clusters.Count == 1 ? config.Clusters[0] : null)
                    ?? throw new KubeException("Discovery.InvalidFile",
                        $"The discovery file {pathOrUrl} defines {config.Clusters.Count} clusters and no current context that picks one.",
                        KubeErrorCategory.InvalidData, pathOrUrl, "Keep one cluster in the file, or set current-context.");
        var cluster = named.Cluster;
        if (string.IsNullOrEmpty(cluster.Server) || !Uri.TryCreate(cluster.Server, UriKind.Absolute, out var server) || server.Scheme != Uri.UriSchemeHttps)
            throw new KubeException("Discovery.InvalidFile", $"The discovery file {pathOrUrl}: cluster '{named.Name}' has no https server URL ('{cluster.Server}').",
                KubeErrorCategory.InvalidData, pathOrUrl, "Set the cluster's server, e.g. https://10.0.0.10:6443.");
        if (cluster.CertificateAuthorityData is not { Length: > 0 } && cluster.CertificateAuthority is { } caFile)
        {
            var full = Path.IsPathRooted(caFile) || baseDirectory is null ? caFile : Path.Combine(baseDirectory, caFile);
            try { cluster.CertificateAuthorityData = await File.ReadAllBytesAsync(full, ct).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KubeException("Discovery.InvalidFile", $"The discovery file {pathOrUrl}: its certificate-authority {full} cannot be read: {e.Message}",
                    KubeErrorCategory.ReadError, pathOrUrl, "Embed the CA as certificate-authority-data.", e);
            }
            cluster.CertificateAuthority = null;
        }
        if (cluster.CertificateAuthorityData is not { Length: > 0 } caData)
            throw new KubeException("Discovery.InvalidFile",
                $"The discovery file {pathOrUrl}: cluster '{named.Name}' has no certificate-authority-data, so the API server could not be verified.",
                KubeErrorCategory.InvalidData, pathOrUrl, "Embed the cluster CA (ca.crt) as certificate-authority-data.");
        try { _ = PkiFiles.ParseCertificates(System.Text.Encoding.UTF8.GetString(caData), pathOrUrl); }
        catch (KubeException e)
        {
            throw new KubeException("Discovery.InvalidFile", $"The discovery file {pathOrUrl}: its CA does not parse: {e.Message}",
                KubeErrorCategory.InvalidData, pathOrUrl, "Embed the cluster CA (ca.crt) as certificate-authority-data.", e);
        }
        if (cluster.InsecureSkipTlsVerify)
            throw new KubeException("Discovery.InvalidFile", $"The discovery file {pathOrUrl} sets insecure-skip-tls-verify; a discovery file must let the API server be verified.",
                KubeErrorCategory.InvalidData, pathOrUrl, "Remove insecure-skip-tls-verify and embed the cluster CA.");

        // The API server must prove itself with this CA: the file's credentials if the current context has them, else anonymous.
        bool sameCluster = config.Contexts.FirstOrDefault(x => x.Name == config.CurrentContext)?.Context.Cluster == named.Name;
        var credentials = sameCluster && config.CurrentUser is not null
            ? KubeConfigCredentials.From(config, pathOrUrl, baseDirectory)
            : new KubeApiCredentials(server, System.Text.Encoding.UTF8.GetString(caData));
        sink.WriteVerbose($"discovery: checking {server} against the CA of {pathOrUrl} ({credentials.AuthenticationKind})");
        var clock = Stopwatch.StartNew();
        using var client = new KubeApiClient(credentials, TimeSpan.FromSeconds(10), TimeSpan.Zero);
        while (true)
        {
            KubeException problem;
            try
            {
                var cm = await client.GetAsync(KubeResource.ConfigMap, "kube-public", BootstrapTokenObjects.ClusterInfoName, ct).ConfigureAwait(false);
                if (cm is not null) Refresh(cm, cluster, pathOrUrl, sink);
                break;
            }
            catch (KubeException e) when (e.ErrorId == "Api.Forbidden")
            {
                sink.WriteWarning($"discovery: {server} does not let this client read cluster-info, but its TLS certificate is valid for the CA of {pathOrUrl}; proceeding.");
                break;
            }
            catch (KubeException e) when (e.ErrorId == "Api.Unreachable" && IsTlsFailure(e))
            {
                throw new KubeException("Discovery.ServerNotTrusted",
                    $"{server} did not prove to be the cluster of {pathOrUrl}: its TLS certificate does not chain to the file's CA (or does not name {server.Host}).",
                    KubeErrorCategory.SecurityError, pathOrUrl, "Check that the discovery file holds the cluster's ca.crt and that nothing intercepts TLS.", e);
            }
            catch (KubeException e) when (e.ErrorId.StartsWith("Api.", StringComparison.Ordinal))
            {
                problem = new KubeException(e.ErrorId == "Api.Unreachable" ? "Discovery.Unreachable" : "Discovery.NotSetUp",
                    $"{server} (from {pathOrUrl}): {e.Message}", e.ErrorId == "Api.Unreachable" ? KubeErrorCategory.ConnectionError : KubeErrorCategory.InvalidOperation,
                    pathOrUrl, "Check the server in the discovery file, that the API server runs and that the port is open from here.", e);
            }
            if (clock.Elapsed + retryInterval > timeout)
                throw new KubeException(problem.ErrorId, $"{problem.Message} (gave up after {Math.Round(clock.Elapsed.TotalSeconds)}s; discovery timeout {timeout})",
                    problem.Category, problem.Target, problem.RecommendedAction, problem.InnerException);
            sink.WriteVerbose($"discovery: {problem.Message}; asking again in {retryInterval.TotalSeconds}s");
            await Task.Delay(retryInterval, ct).ConfigureAwait(false);
        }
        return new DiscoveredCluster(DiscoveryMethod.File, pathOrUrl, config, cluster, cluster.CertificateAuthorityData!, null, caVerified: true);
    }

    static void Refresh(System.Text.Json.Nodes.JsonObject cm, KubeConfigCluster cluster, string source, IOperationSink sink)
    {
        var text = (string?)cm["data"]?["kubeconfig"];
        if (string.IsNullOrEmpty(text)) return;
        KubeConfig info;
        try { info = KubeConfigYaml.Parse(text, "cluster-info"); }
        catch (KubeException) { return; }
        var refreshed = info.Clusters.FirstOrDefault(c => c.Name == "")?.Cluster ?? info.Clusters.FirstOrDefault()?.Cluster;
        if (refreshed is null) return;
        if (refreshed.Server is { } s && s != cluster.Server)
            sink.WriteWarning($"discovery: the API server {cluster.Server} in {source} is not the endpoint cluster-info names ({s}); the file's is used.");
    }

    static async Task<(string Text, string? BaseDirectory)> ReadAsync(string pathOrUrl, X509Certificate2Collection? urlTrust, CancellationToken ct)
    {
        if (pathOrUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(pathOrUrl, UriKind.Absolute, out var url))
                throw new KubeException("Discovery.InvalidFile", $"The discovery URL '{pathOrUrl}' is not a URL.", KubeErrorCategory.InvalidArgument, pathOrUrl,
                    "Give https://host[:port]/path.");
            var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
            if (urlTrust is not null)
                handler.SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, cert, _, errors) => Net.PinnedTrust.Validate(cert, errors, urlTrust),
                };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
            try
            {
                using var resp = await http.GetAsync(url, ct).ConfigureAwait(false);
                if (!resp.IsSuccessStatusCode)
                    throw new KubeException("Discovery.FileUnavailable", $"The discovery URL {pathOrUrl} answered {(int)resp.StatusCode} {resp.ReasonPhrase}.",
                        KubeErrorCategory.ResourceUnavailable, pathOrUrl, "Check the URL.");
                return (await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false), null);
            }
            catch (HttpRequestException e)
            {
                bool tls = IsTlsFailure(e);
                throw new KubeException(tls ? "Discovery.FileNotTrusted" : "Discovery.FileUnavailable",
                    tls ? $"The discovery URL {pathOrUrl} is served with a certificate this machine's trust store does not accept: {e.Message}"
                        : $"The discovery URL {pathOrUrl} cannot be fetched: {e.Message}",
                    tls ? KubeErrorCategory.SecurityError : KubeErrorCategory.ConnectionError, pathOrUrl,
                    tls ? "Serve the file with a certificate from a CA in the system trust store, or copy it and give its local path." : "Check the URL and the network.", e);
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new KubeException("Discovery.FileUnavailable", $"The discovery URL {pathOrUrl} did not answer in time.", KubeErrorCategory.OperationTimeout,
                    pathOrUrl, "Check the URL and the network.", e);
            }
        }
        if (pathOrUrl.Contains("://", StringComparison.Ordinal))
            throw new KubeException("Discovery.InvalidFile", $"The discovery file '{pathOrUrl}' is a URL that is not https://; only https URLs are fetched.",
                KubeErrorCategory.InvalidArgument, pathOrUrl, "Serve the file over https, or give a local path.");
        var full = Path.GetFullPath(pathOrUrl);
        try
        {
            return (await File.ReadAllTextAsync(full, ct).ConfigureAwait(false), Path.GetDirectoryName(full));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeException(e is FileNotFoundException or DirectoryNotFoundException ? "Discovery.FileNotFound" : "Discovery.FileUnavailable",
                $"The discovery file {full} cannot be read: {e.Message}", KubeErrorCategory.ReadError, full, "Check the path.", e);
        }
    }

    static bool IsTlsFailure(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is System.Security.Authentication.AuthenticationException) return true;
        return false;
    }
}
