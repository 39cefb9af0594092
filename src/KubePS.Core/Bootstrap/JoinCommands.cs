using System.Globalization;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Configuration;
using KubePS.Core.Operations;
using KubePS.Core.Pki;

namespace KubePS.Core.Bootstrap;

/// <summary>Which token and role a join command is for.</summary>
public sealed class JoinCommandRequest
{
    /// <summary>A token object (New-KubeBootstrapToken, Get-KubeBootstrapToken, a control plane's token).</summary>
    public KubeBootstrapToken? Token { get; init; }

    /// <summary>Or a token id (its secret is read from the cluster) or a whole token.</summary>
    public string? TokenId { get; init; }

    public bool AsControlPlane { get; init; }

    /// <summary>For a control-plane join: the key the certificates were uploaded with; checked against kubeadm-certs.</summary>
    public CertificateKey? CertificateKey { get; init; }
}

/// <summary>
/// kubeadm token create --print-join-command, without creating anything: the endpoint and the CA pins come from the
/// kubeconfig the client uses (its server and CA, as kubeadm takes them from admin.conf), the token is the one asked
/// for (checked to exist and to be usable for a join) or the cluster's usable token that lives longest. For a
/// control-plane join with a certificate key, the key is checked to decrypt the kubeadm-certs Secret, whose owner
/// token must not have expired, so that a join command that cannot work is refused here rather than on the node.
/// </summary>
public static class JoinCommands
{
    /// <summary>A token closer than this to its expiry is not chosen by default.</summary>
    public static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(1);

    public static async Task<KubeJoinCommand> GetAsync(KubeApiClient api, JoinCommandRequest request, IOperationSink sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.CertificateKey is not null && !request.AsControlPlane)
            throw new KubeException("Join.CertificateKeyWithoutControlPlane", "A certificate key is only used by a control-plane join.",
                KubeErrorCategory.InvalidArgument, null, "Add -AsControlPlane, or leave -CertificateKey out.");
        var server = api.Credentials.Server;
        var caPem = api.Credentials.CAPem
            ?? throw new KubeException("Join.NoClusterCA",
                $"The kubeconfig for {server} names no cluster CA, so there is no CA hash for the join command.",
                KubeErrorCategory.InvalidData, server.ToString(), "Use a kubeconfig with certificate-authority-data, such as admin.conf.");
        var pins = PkiFiles.ParseCertificates(caPem, $"the CA of {server}").Select(CACertHash.Compute).Distinct().ToList();
        string endpoint = $"{server.Host}:{server.Port.ToString(CultureInfo.InvariantCulture)}";
        var now = DateTimeOffset.UtcNow;

        KubeBootstrapToken token;
        if (request.Token is not null || request.TokenId is not null)
        {
            string id = request.Token?.Id ?? BootstrapTokens.ParseId(request.TokenId);
            var stored = await BootstrapTokens.GetAsync(api, id, ct).ConfigureAwait(false)
                ?? throw new KubeException("Token.NotFound", $"There is no bootstrap token with id {id} in the cluster at {server}.",
                    KubeErrorCategory.ObjectNotFound, id, "Create one with New-KubeBootstrapToken, or list them with Get-KubeBootstrapToken.");
            var given = request.Token?.Token ?? (BootstrapTokenString.TryParse(request.TokenId, out var t) ? t : null);
            if (given is not null && !given.Equals(stored.Token))
                throw new KubeException("Token.Mismatch", $"The token given for id {id} is not the one stored in the cluster (their secrets differ).",
                    KubeErrorCategory.InvalidArgument, id, "Give the token id alone, or the current token from Get-KubeBootstrapToken.");
            if (stored.Expires is { } e && e <= now)
                throw new KubeException("Token.Expired", $"Bootstrap token {id} expired at {BootstrapTokenObjects.Rfc3339(e)}.", KubeErrorCategory.InvalidArgument, id,
                    "Create a new token with New-KubeBootstrapToken.");
            if (!BootstrapTokens.UsableForJoin(stored, now, TimeSpan.Zero))
                throw new KubeException("Token.NotUsableForJoin",
                    $"Bootstrap token {id} has the usages '{string.Join(",", stored.Usages)}'; a join needs both signing (discovery) and authentication (TLS bootstrap).",
                    KubeErrorCategory.InvalidArgument, id, "Create a token with the default usages (New-KubeBootstrapToken).");
            token = stored;
        }
        else
        {
            var all = await BootstrapTokens.ListAsync(api, sink, ct).ConfigureAwait(false);
            token = all.Where(x => BootstrapTokens.UsableForJoin(x, now, ExpiryMargin) && x.Groups.Contains(BootstrapTokenSpec.DefaultGroup))
                        .OrderByDescending(x => x.Expires ?? DateTimeOffset.MaxValue).FirstOrDefault()
                    ?? throw new KubeException("Token.NoneUsable",
                        $"The cluster at {server} has no bootstrap token that can join a node (signing and authentication usages, group {BootstrapTokenSpec.DefaultGroup}, valid for more than {ExpiryMargin.TotalMinutes} minute).",
                        KubeErrorCategory.ObjectNotFound, server.ToString(), "Create one: New-KubeBootstrapToken | Get-KubeJoinCommand.");
        }

        if (request.AsControlPlane && request.CertificateKey is { } key)
            await CheckUploadedCertificatesAsync(api, key, now, ct).ConfigureAwait(false);
        sink.WriteVerbose($"{server}: join command for token {token.Id}{(request.AsControlPlane ? " (control plane)" : "")}, CA {string.Join(", ", pins)}");
        return new KubeJoinCommand(endpoint, token.Token, pins, token.Expires, request.AsControlPlane, request.CertificateKey);
    }

    /// <summary>
    /// kubeadm-certs exists, its owner token has not expired, and every value decrypts with <paramref name="key"/>;
    /// else Join.NoUploadedCertificates, Join.UploadedCertificatesExpired or Bootstrap.CertificateKeyMismatch.
    /// </summary>
    public static async Task CheckUploadedCertificatesAsync(KubeApiClient api, CertificateKey key, DateTimeOffset now, CancellationToken ct)
    {
        var secret = await api.GetAsync(KubeResource.Secret, "kube-system", UploadCertsObjects.SecretName, ct).ConfigureAwait(false)
            ?? throw new KubeException("Join.NoUploadedCertificates",
                $"The cluster at {api.Credentials.Server} has no Secret kube-system/{UploadCertsObjects.SecretName}: the control-plane certificates were not uploaded, or their two hours are over.",
                KubeErrorCategory.ObjectNotFound, UploadCertsObjects.SecretName,
                "Upload them with a new key: Publish-KubeControlPlaneCertificate, then join with that key.");
        var ownerName = (string?)(secret["metadata"]?["ownerReferences"] as JsonArray)?.FirstOrDefault()?["name"];
        if (ownerName is not null)
        {
            var owner = await api.GetAsync(KubeResource.Secret, "kube-system", ownerName, ct).ConfigureAwait(false);
            var expires = owner is null ? null : BootstrapTokens.FromSecret(owner, out _)?.Expires;
            if (owner is null || expires <= now)
                throw new KubeException("Join.UploadedCertificatesExpired",
                    $"The uploaded control-plane certificates expired{(expires is { } at ? " at " + BootstrapTokenObjects.Rfc3339(at) : "")} with their owner token {ownerName}.",
                    KubeErrorCategory.InvalidOperation, UploadCertsObjects.SecretName,
                    "Upload them again with a new key: Publish-KubeControlPlaneCertificate, then join with that key.");
        }
        foreach (var (name, value) in secret["data"] as JsonObject ?? [])
        {
            byte[] raw;
            try { raw = Convert.FromBase64String((string?)value ?? ""); }
            catch (FormatException) { continue; }
            if (raw.Length > 0) _ = key.Decrypt(raw, name);
        }
    }
}
