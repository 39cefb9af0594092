namespace KubePS.Core.Api;

/// <summary>
/// Where and as whom to talk to a Kubernetes API server: the server URL, the CA to pin (PEM; null = the system
/// trust store), and one of client certificate + key (PEM), a bearer token, or nothing (anonymous).
/// ToString never shows the key or the token.
/// </summary>
public sealed class KubeApiCredentials
{
    public KubeApiCredentials(Uri server, string? caPem = null, string? clientCertificatePem = null, string? clientKeyPem = null, string? bearerToken = null,
        bool insecureSkipTlsVerify = false)
    {
        if (server.Scheme != Uri.UriSchemeHttps)
            throw new KubeException("Api.InvalidServer", $"The API server URL '{server}' is not https://host:port.", KubeErrorCategory.InvalidArgument, server.ToString(),
                "Use the server URL from a kubeconfig, e.g. https://10.0.0.10:6443.");
        if ((clientCertificatePem is null) != (clientKeyPem is null))
            throw new KubeException("Api.IncompleteClientCertificate",
                $"A client certificate needs both the certificate and its key; only the {(clientCertificatePem is null ? "key" : "certificate")} was given.",
                KubeErrorCategory.InvalidArgument, server.ToString(), "Give the client certificate together with its private key, or neither.");
        Server = server;
        CAPem = caPem;
        ClientCertificatePem = clientCertificatePem;
        ClientKeyPem = clientKeyPem;
        BearerToken = bearerToken;
        InsecureSkipTlsVerify = insecureSkipTlsVerify;
    }

    public Uri Server { get; }
    public string? CAPem { get; }
    public string? ClientCertificatePem { get; }
    internal string? ClientKeyPem { get; }
    internal string? BearerToken { get; }

    /// <summary>Token discovery's first, unauthenticated fetch of cluster-info (kubeadm-facts §6.1 step 2) and nothing else.</summary>
    public bool InsecureSkipTlsVerify { get; }

    public string AuthenticationKind => ClientCertificatePem is not null ? "client certificate" : BearerToken is not null ? "bearer token" : "anonymous";

    public override string ToString() => $"{Server} ({AuthenticationKind})";
}
