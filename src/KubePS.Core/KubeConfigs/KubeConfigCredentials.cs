using System.Text;
using KubePS.Core.Api;

namespace KubePS.Core.KubeConfigs;

/// <summary>Turns a kubeconfig's current context into what the API client needs, as kubectl reads it.</summary>
public static class KubeConfigCredentials
{
    /// <summary>
    /// The server, CA and credentials of the current context: embedded data first, else the files it names (relative
    /// paths are taken from <paramref name="baseDirectory"/>, the kubeconfig's folder, as kubectl does). A client
    /// certificate, a token (or token file), or nothing (anonymous). <paramref name="server"/> overrides the server URL
    /// (e.g. to reach one control-plane node directly).
    /// </summary>
    public static KubeApiCredentials From(KubeConfig config, string source, string? baseDirectory = null, string? server = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var context = config.Contexts.FirstOrDefault(c => c.Name == config.CurrentContext)
            ?? throw new KubeException("KubeConfig.NoCurrentContext",
                string.IsNullOrEmpty(config.CurrentContext)
                    ? $"The kubeconfig {source} has no current-context."
                    : $"The kubeconfig {source} names current-context '{config.CurrentContext}', which it does not define.",
                KubeErrorCategory.InvalidData, source, "Set current-context (kubectl config use-context NAME) or pick another kubeconfig.");
        var cluster = config.Clusters.FirstOrDefault(c => c.Name == context.Context.Cluster)?.Cluster
            ?? throw new KubeException("KubeConfig.NoCluster", $"The kubeconfig {source}: context '{context.Name}' names cluster '{context.Context.Cluster}', which it does not define.",
                KubeErrorCategory.InvalidData, source, "Fix the context's cluster, or pick another kubeconfig.");
        var user = config.Users.FirstOrDefault(u => u.Name == context.Context.User)?.User ?? new KubeConfigUser();
        string url = server ?? cluster.Server
            ?? throw new KubeException("KubeConfig.NoServer", $"The kubeconfig {source}: cluster '{context.Context.Cluster}' has no server.",
                KubeErrorCategory.InvalidData, source, "Set the cluster's server, e.g. https://10.0.0.10:6443.");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            throw new KubeException("KubeConfig.InvalidServer", $"The kubeconfig {source}: the server '{url}' is not a URL.",
                KubeErrorCategory.InvalidData, source, "Give the server as https://host:port.");

        string? ca = cluster.CertificateAuthorityData is { Length: > 0 } caData ? Encoding.UTF8.GetString(caData)
            : cluster.CertificateAuthority is { } caFile ? ReadFile(caFile, baseDirectory, source, "certificate-authority") : null;
        string? cert = user.ClientCertificateData is { Length: > 0 } certData ? Encoding.UTF8.GetString(certData)
            : user.ClientCertificate is { } certFile ? ReadFile(certFile, baseDirectory, source, "client-certificate") : null;
        string? key = user.ClientKeyData is { Length: > 0 } keyData ? Encoding.UTF8.GetString(keyData)
            : user.ClientKey is { } keyFile ? ReadFile(keyFile, baseDirectory, source, "client-key") : null;
        string? token = !string.IsNullOrEmpty(user.Token) ? user.Token
            : user.TokenFile is { } tokenFile ? ReadFile(tokenFile, baseDirectory, source, "tokenFile").Trim() : null;
        if ((cert is null) != (key is null))
            throw new KubeException("KubeConfig.IncompleteClientCertificate",
                $"The kubeconfig {source}: user '{context.Context.User}' has a client {(cert is null ? "key" : "certificate")} without its {(cert is null ? "certificate" : "key")}.",
                KubeErrorCategory.InvalidData, source, "Give both client-certificate(-data) and client-key(-data).");
        return new KubeApiCredentials(uri, ca, cert, key, token, cluster.InsecureSkipTlsVerify);
    }

    static string ReadFile(string path, string? baseDirectory, string source, string field)
    {
        var full = Path.IsPathRooted(path) || baseDirectory is null ? path : Path.Combine(baseDirectory, path);
        try
        {
            return File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeException("KubeConfig.FileNotReadable", $"The kubeconfig {source}: {field} {full} cannot be read: {e.Message}",
                e is FileNotFoundException or DirectoryNotFoundException ? KubeErrorCategory.ObjectNotFound : KubeErrorCategory.ReadError,
                full, "Check the path in the kubeconfig, or embed the data (kubectl config view --flatten).", e);
        }
    }
}
