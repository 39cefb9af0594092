using System.Text;
using KubePS.Core.Configuration;

namespace KubePS.Core.Bootstrap;

/// <summary>
/// What a node needs to join a cluster, and the kubeadm join command line that does it. The object holds the token
/// and (for a control plane) the certificate key, but never shows them: <see cref="CommandLine"/> and
/// <see cref="ToString"/> print <c>abcdef.&lt;redacted&gt;</c> and <c>&lt;redacted&gt;</c>, so the object can be listed,
/// logged or written to any stream safely. <see cref="Reveal"/> returns the real command line, for the moment a person
/// (or a script) asks for it: <c>(Get-KubeJoinCommand).Reveal()</c>. Join-KubeNode takes the object from the pipeline
/// (ApiServerEndpoint, Token, CACertHashes, AsControlPlane and CertificateKey bind by name).
/// </summary>
public sealed class KubeJoinCommand
{
    public KubeJoinCommand(string apiServerEndpoint, BootstrapTokenString token, IReadOnlyList<string> caCertHashes, DateTimeOffset? tokenExpires,
        bool asControlPlane = false, CertificateKey? certificateKey = null)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (caCertHashes.Count == 0)
            throw new KubeException("Join.NoCACertHash", "A join command needs at least one CA certificate hash.", KubeErrorCategory.InvalidArgument, apiServerEndpoint,
                "Give the hash of the cluster CA (Get-KubeCACertHash).");
        _ = TokenDiscovery.ParseEndpoint(apiServerEndpoint);
        _ = CAPinSet.Parse(caCertHashes);
        if (certificateKey is not null && !asControlPlane)
            throw new KubeException("Join.CertificateKeyWithoutControlPlane", "A certificate key is only used by a control-plane join.",
                KubeErrorCategory.InvalidArgument, apiServerEndpoint, "Add -AsControlPlane, or leave -CertificateKey out.");
        ApiServerEndpoint = apiServerEndpoint;
        Token = token;
        CACertHashes = caCertHashes;
        TokenExpires = tokenExpires;
        AsControlPlane = asControlPlane;
        CertificateKey = certificateKey;
    }

    /// <summary>host:port of the API server, as kubeadm join takes it.</summary>
    public string ApiServerEndpoint { get; }

    /// <summary>The bootstrap token; prints as abcdef.&lt;redacted&gt;.</summary>
    public BootstrapTokenString Token { get; }

    /// <summary>The token id (public).</summary>
    public string TokenId => Token.Id;

    /// <summary>When the token expires (UTC), or null when it never does.</summary>
    public DateTimeOffset? TokenExpires { get; }

    /// <summary>The pins of the cluster CA (sha256:&lt;hex&gt;), one per certificate of its bundle.</summary>
    public IReadOnlyList<string> CACertHashes { get; }

    /// <summary>A control-plane join (kubeadm join --control-plane).</summary>
    public bool AsControlPlane { get; }

    /// <summary>The key the control-plane certificates were uploaded with; prints as &lt;redacted&gt;. Null for workers or without one.</summary>
    public CertificateKey? CertificateKey { get; }

    /// <summary>The command line with the token secret and the certificate key redacted: safe to show.</summary>
    public string CommandLine => Render(reveal: false);

    /// <summary>The real command line, with the token and the certificate key. Treat the result as a secret.</summary>
    public string Reveal() => Render(reveal: true);

    string Render(bool reveal)
    {
        var sb = new StringBuilder("kubeadm join ").Append(ApiServerEndpoint)
            .Append(" --token ").Append(reveal ? Token.Reveal() : Token.ToString());
        foreach (var h in CACertHashes) sb.Append(" --discovery-token-ca-cert-hash ").Append(h);
        if (AsControlPlane)
        {
            sb.Append(" --control-plane");
            if (CertificateKey is not null) sb.Append(" --certificate-key ").Append(reveal ? CertificateKey.Reveal() : CertificateKey.ToString());
        }
        return sb.ToString();
    }

    /// <summary>The redacted command line.</summary>
    public override string ToString() => CommandLine;
}
