using System.Diagnostics;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Configuration;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Operations;
using KubePS.Core.Pki;

namespace KubePS.Core.Bootstrap;

/// <summary>What a token discovery needs (kubeadm's discovery.bootstrapToken plus the discovery timeout).</summary>
public sealed class TokenDiscoveryRequest
{
    /// <summary>kubeadm's default discovery timeout.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>kubeadm's DiscoveryRetryInterval.</summary>
    public static readonly TimeSpan DefaultRetryInterval = TimeSpan.FromSeconds(5);

    /// <summary>host:port of an API server (apiServerEndpoint), e.g. 10.0.0.10:6443 or [fd00::10]:6443.</summary>
    public required string ApiServerEndpoint { get; init; }

    /// <summary>The bootstrap token whose secret signs cluster-info.</summary>
    public required BootstrapTokenString Token { get; init; }

    /// <summary>CA public-key pins, sha256:&lt;hex&gt;; any one must match the discovered CA.</summary>
    public IReadOnlyList<string> CACertHashes { get; init; } = [];

    /// <summary>Accept the discovered CA without a pin (kubeadm's unsafeSkipCAVerification). Warns.</summary>
    public bool UnsafeSkipCAVerification { get; init; }

    /// <summary>How long to keep asking while the API server is unreachable or the token's signature is absent.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Pause between attempts.</summary>
    public TimeSpan RetryInterval { get; init; } = DefaultRetryInterval;

    /// <summary>When the token is known to expire (a token object from New-KubeBootstrapToken or a join command); null: unknown.</summary>
    public DateTimeOffset? TokenExpires { get; init; }
}

/// <summary>
/// Token discovery exactly as kubeadm join does it (kubeadm-facts §6.1): an anonymous GET of kube-public/cluster-info
/// over TLS without verification; <c>data.kubeconfig</c> and <c>jws-kubeconfig-&lt;token id&gt;</c> are required (the
/// request is repeated every RetryInterval until Timeout while the API server does not answer or the signature is not
/// there yet); the detached JWS is checked with the token secret; the kubeconfig must hold exactly one cluster; its CA
/// bundle must contain a certificate whose public key matches one of the pins; then cluster-info is fetched again over
/// TLS verified against that CA, and its kubeconfig must be byte for byte the first one. Each refusal has its own
/// error id (Discovery.*). Without pins, -UnsafeSkipCAVerification is required and a warning is written.
/// </summary>
public static class TokenDiscovery
{
    const string ClusterInfoNamespace = "kube-public";
    const string JwsPrefix = "jws-kubeconfig-";

    /// <summary>Checks the request without contacting anything: endpoint form, pins, pin-or-unsafe, known expiry, timeouts.</summary>
    public static (Uri Server, CAPinSet Pins) Validate(TokenDiscoveryRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Token);
        var server = ParseEndpoint(request.ApiServerEndpoint);
        var pins = CAPinSet.Parse(request.CACertHashes);
        if (pins.IsEmpty && !request.UnsafeSkipCAVerification)
            throw new KubeException("Discovery.CAHashRequired",
                $"Token discovery from {request.ApiServerEndpoint} needs the cluster CA's hash (-CACertHash sha256:...): without it any host that answers on that address could pose as the control plane.",
                KubeErrorCategory.InvalidArgument, request.ApiServerEndpoint,
                "Give -CACertHash (Get-KubeJoinCommand prints it), or -UnsafeSkipCAVerification to accept that risk.");
        if (request.TokenExpires is { } expires && expires <= now)
            throw TokenExpired(request.Token.Id, $"it expired at {BootstrapTokenObjects.Rfc3339(expires)}");
        if (request.Timeout <= TimeSpan.Zero || request.RetryInterval <= TimeSpan.Zero)
            throw new KubeException("Discovery.InvalidTimeout", $"The discovery timeout ({request.Timeout}) and retry interval ({request.RetryInterval}) must be positive.",
                KubeErrorCategory.InvalidArgument, request.Timeout <= TimeSpan.Zero ? request.Timeout : request.RetryInterval, "Use kubeadm's defaults: 5 minutes and 5 seconds.");
        return (server, pins);
    }

    /// <summary>The https URL of a host:port endpoint, or Discovery.InvalidEndpoint.</summary>
    public static Uri ParseEndpoint(string? endpoint)
    {
        string? problem = null;
        try
        {
            if (string.IsNullOrWhiteSpace(endpoint)) problem = "it is empty";
            else if (endpoint.Contains("://", StringComparison.Ordinal)) problem = "it is a URL; give host:port without the scheme";
            else if (SanRules.ParseHostPort(endpoint).Port is null) problem = "it has no port";
        }
        catch (KubeException e) when (e.ErrorId == "Pki.InvalidControlPlaneEndpoint")
        {
            problem = e.Message;
        }
        if (problem is null && Uri.TryCreate("https://" + endpoint, UriKind.Absolute, out var uri)) return uri;
        throw new KubeException("Discovery.InvalidEndpoint",
            $"The API server endpoint '{endpoint}' is not host:port ({problem ?? "not a valid address"}).",
            KubeErrorCategory.InvalidArgument, endpoint, "Give the endpoint as Get-KubeJoinCommand prints it, e.g. 10.0.0.10:6443, api.example.com:6443 or [fd00::10]:6443.");
    }

    /// <summary>Runs the discovery. Everything it reports through <paramref name="sink"/> is free of the token secret.</summary>
    public static async Task<DiscoveredCluster> DiscoverAsync(TokenDiscoveryRequest request, IOperationSink sink, CancellationToken ct)
    {
        var (server, pins) = Validate(request, DateTimeOffset.UtcNow);
        var token = request.Token;
        string endpoint = request.ApiServerEndpoint;

        sink.WriteVerbose($"discovery: requesting cluster-info from {server} (TLS not verified yet) for token {token.Id}");
        JsonObject insecure;
        using (var client = new KubeApiClient(new KubeApiCredentials(server, insecureSkipTlsVerify: true), TimeSpan.FromSeconds(10), TimeSpan.Zero))
            insecure = await FetchSignedAsync(client, request, secure: false, sink, ct).ConfigureAwait(false);

        string kubeconfigText = (string?)insecure["data"]?["kubeconfig"] ?? "";
        if (kubeconfigText.Length == 0)
            throw new KubeException("Discovery.NotSetUp",
                $"The cluster-info ConfigMap served by {endpoint} has no kubeconfig key: this API server is not set up for token bootstrapping.",
                KubeErrorCategory.InvalidData, endpoint, "Run the bootstrap-token phase of Initialize-KubeControlPlane on the cluster (it writes cluster-info).");
        string signature = (string?)insecure["data"]?[JwsPrefix + token.Id] ?? "";
        if (!DetachedJws.IsValid(signature, kubeconfigText, token.Id, token.Secret))
            throw new KubeException("Discovery.BadSignature",
                $"The signature of cluster-info served by {endpoint} for token {token.Id} does not verify: either the token secret is wrong or cluster-info was changed on the way. This API server is not trusted.",
                KubeErrorCategory.SecurityError, endpoint,
                "Check the token (Get-KubeBootstrapToken on the cluster) and that nothing between this machine and the API server intercepts TLS.");

        var config = KubeConfigYaml.Parse(kubeconfigText, $"cluster-info from {endpoint}");
        if (config.Clusters.Count != 1)
            throw new KubeException(config.Clusters.Count == 0 ? "Discovery.InvalidClusterInfo" : "Discovery.MultipleClusters",
                $"The cluster-info kubeconfig served by {endpoint} holds {config.Clusters.Count} clusters ({string.Join(", ", config.Clusters.Select(c => $"'{c.Name}'"))}); token discovery needs exactly one.",
                KubeErrorCategory.InvalidData, endpoint, "Rewrite kube-public/cluster-info with one cluster (the bootstrap-token phase of Initialize-KubeControlPlane does).");
        var cluster = config.Clusters[0].Cluster;
        var caData = cluster.CertificateAuthorityData;
        if (caData is not { Length: > 0 } || string.IsNullOrEmpty(cluster.Server))
            throw new KubeException("Discovery.InvalidClusterInfo",
                $"The cluster-info kubeconfig served by {endpoint} has {(caData is not { Length: > 0 } ? "no certificate-authority-data" : "no server")}.",
                KubeErrorCategory.InvalidData, endpoint, "Rewrite kube-public/cluster-info (the bootstrap-token phase of Initialize-KubeControlPlane does).");
        IReadOnlyList<X509Certificate2> cas;
        try { cas = PkiFiles.ParseCertificates(System.Text.Encoding.UTF8.GetString(caData), $"cluster-info from {endpoint}"); }
        catch (KubeException e)
        {
            throw new KubeException("Discovery.InvalidClusterInfo", $"The CA data of the cluster-info kubeconfig served by {endpoint} does not parse: {e.Message}",
                KubeErrorCategory.InvalidData, endpoint, "Rewrite kube-public/cluster-info with the cluster's ca.crt.", e);
        }

        if (pins.IsEmpty)
        {
            sink.WriteWarning($"discovery: the cluster CA served by {endpoint} ({string.Join(", ", cas.Select(CACertHash.Compute))}) is accepted without a pin (-UnsafeSkipCAVerification): anyone who knows the token could pose as this control plane.");
            return new DiscoveredCluster(DiscoveryMethod.Token, endpoint, config, cluster, caData, null, caVerified: false);
        }
        var matched = pins.FirstMatch(cas)
            ?? throw new KubeException("Discovery.CAPinMismatch",
                $"The cluster CA served by {endpoint} has public key {string.Join(", ", cas.Select(CACertHash.Compute))}, which matches none of the pins ({pins}). This API server is not trusted.",
                KubeErrorCategory.SecurityError, endpoint,
                "Check the -CACertHash value against Get-KubeCACertHash of the cluster's ca.crt, and that nothing between this machine and the API server intercepts TLS.");
        sink.WriteVerbose($"discovery: cluster-info for token {token.Id} is signed and its CA matches {matched}; asking {server} again over TLS verified with that CA");

        JsonObject secure;
        var pem = string.Concat(cas.Select(c => Pem.Encode("CERTIFICATE", c.RawData)));
        using (var client = new KubeApiClient(new KubeApiCredentials(server, caPem: pem), TimeSpan.FromSeconds(10), TimeSpan.Zero))
            secure = await FetchSignedAsync(client, request, secure: true, sink, ct).ConfigureAwait(false);
        if (!string.Equals((string?)secure["data"]?["kubeconfig"], kubeconfigText, StringComparison.Ordinal))
            throw new KubeException("Discovery.ClusterInfoChanged",
                $"cluster-info fetched again from {endpoint} over verified TLS differs from the first, unverified answer. This API server is not trusted.",
                KubeErrorCategory.SecurityError, endpoint, "Retry the join; if it happens again, something between this machine and the API server is changing its answers.");
        sink.WriteVerbose($"discovery: {endpoint} is trusted: TLS verified with the pinned CA; the cluster's API server is {cluster.Server}");
        return new DiscoveredCluster(DiscoveryMethod.Token, endpoint, config, cluster, caData, matched, caVerified: true);
    }

    /// <summary>GETs cluster-info until it carries this token's signature, or throws the last reason after the timeout.</summary>
    static async Task<JsonObject> FetchSignedAsync(KubeApiClient client, TokenDiscoveryRequest request, bool secure, IOperationSink sink, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        string id = request.Token.Id, endpoint = request.ApiServerEndpoint;
        while (true)
        {
            Func<KubeException> last;
            try
            {
                var cm = await client.GetAsync(KubeResource.ConfigMap, ClusterInfoNamespace, BootstrapTokenObjects.ClusterInfoName, ct).ConfigureAwait(false);
                if (cm is null)
                    last = () => new KubeException("Discovery.NotSetUp",
                        $"{endpoint} has no ConfigMap kube-public/cluster-info: the cluster is not set up for token bootstrapping (yet).",
                        KubeErrorCategory.ObjectNotFound, endpoint, "Run the bootstrap-token phase of Initialize-KubeControlPlane on the cluster.");
                else if (cm["data"]?[JwsPrefix + id] is not null)
                    return cm;
                else if ((cm["data"] as JsonObject)?.Any(kv => kv.Key.StartsWith(JwsPrefix, StringComparison.Ordinal)) == true)
                    last = () => TokenExpired(id, "other tokens' signatures are there, so the controller-manager's bootstrap signer runs, but none for this token");
                else
                    last = () => new KubeException("Discovery.NoSignature",
                        $"cluster-info served by {endpoint} carries no signature at all, so none for token {id}: the controller-manager's bootstrapsigner controller is not running, or the cluster has no valid token.",
                        KubeErrorCategory.ResourceUnavailable, endpoint,
                        "Check that kube-controller-manager runs with --controllers=*,bootstrapsigner,tokencleaner, and create a token with New-KubeBootstrapToken.");
            }
            catch (KubeException e) when (e.ErrorId == "Api.Unreachable")
            {
                if (secure && IsTlsFailure(e))
                    throw new KubeException("Discovery.ServerNotTrusted",
                        $"{endpoint} did not prove to be the cluster: its TLS certificate does not chain to the pinned cluster CA (or does not name {client.Credentials.Server.Host}). This API server is not trusted.",
                        KubeErrorCategory.SecurityError, endpoint,
                        "Check that nothing between this machine and the API server intercepts TLS, and that the endpoint is the API server itself.", e);
                last = () => new KubeException("Discovery.Unreachable", $"The API server {endpoint} did not answer: {e.Message}",
                    KubeErrorCategory.ConnectionError, endpoint, "Check the endpoint, that the API server runs and that the port is open from here.", e);
            }
            catch (KubeException e) when (e.ErrorId.StartsWith("Api.", StringComparison.Ordinal))
            {
                last = () => new KubeException("Discovery.NotSetUp",
                    $"{endpoint} refused the anonymous request for kube-public/cluster-info: {e.Message}",
                    KubeErrorCategory.PermissionDenied, endpoint,
                    "The bootstrap-token phase of Initialize-KubeControlPlane lets system:anonymous read cluster-info (Role kubeadm:bootstrap-signer-clusterinfo).", e);
            }
            var elapsed = clock.Elapsed;
            if (elapsed + request.RetryInterval > request.Timeout)
            {
                var reason = last();
                throw new KubeException(reason.ErrorId, $"{reason.Message} (gave up after {Math.Round(elapsed.TotalSeconds)}s; discovery timeout {request.Timeout})",
                    reason.Category, reason.Target, reason.RecommendedAction, reason.InnerException);
            }
            sink.WriteVerbose($"discovery: {last().Message}; asking again in {request.RetryInterval.TotalSeconds}s");
            await Task.Delay(request.RetryInterval, ct).ConfigureAwait(false);
        }
    }

    static KubeException TokenExpired(string id, string why) =>
        new("Discovery.TokenExpired",
            $"Token {id} cannot be used for discovery: {why}. A token that is unknown to the cluster, deleted or expired is never signed (the signer signs only valid tokens).",
            KubeErrorCategory.AuthenticationError, id, "Create a new token with New-KubeBootstrapToken (or take a current one from Get-KubeJoinCommand) and join with it.");

    static bool IsTlsFailure(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is AuthenticationException) return true;
        return false;
    }
}
