namespace KubePS.Core.KubeConfigs;

/// <summary>
/// A kubeconfig file (client-go's clientcmd v1 Config): clusters, contexts and users as named lists, the current
/// context and empty preferences. Secrets (client key, token, password) are internal; <see cref="ToString"/> names only.
/// </summary>
public sealed class KubeConfig
{
    public string ApiVersion { get; set; } = "v1";
    public string Kind { get; set; } = "Config";
    public List<NamedCluster> Clusters { get; set; } = [];
    public List<NamedContext> Contexts { get; set; } = [];
    public string CurrentContext { get; set; } = "";
    public List<NamedUser> Users { get; set; } = [];

    /// <summary>The cluster of the current context, or null.</summary>
    public KubeConfigCluster? CurrentCluster =>
        Contexts.FirstOrDefault(c => c.Name == CurrentContext) is { } ctx ? Clusters.FirstOrDefault(c => c.Name == ctx.Context.Cluster)?.Cluster : null;

    /// <summary>The user of the current context, or null.</summary>
    public KubeConfigUser? CurrentUser =>
        Contexts.FirstOrDefault(c => c.Name == CurrentContext) is { } ctx ? Users.FirstOrDefault(u => u.Name == ctx.Context.User)?.User : null;

    /// <summary>The server URL of the current context's cluster.</summary>
    public string? Server => CurrentCluster?.Server;

    public override string ToString() => $"kubeconfig {CurrentContext} ({Server})";
}

public sealed class NamedCluster
{
    public string Name { get; set; } = "";
    public KubeConfigCluster Cluster { get; set; } = new();
    public override string ToString() => $"{Name}: {Cluster}";
}

public sealed class KubeConfigCluster
{
    public string? Server { get; set; }
    /// <summary>certificate-authority-data: the CA bundle's PEM bytes.</summary>
    public byte[]? CertificateAuthorityData { get; set; }
    /// <summary>certificate-authority: a path to the CA file.</summary>
    public string? CertificateAuthority { get; set; }
    public bool InsecureSkipTlsVerify { get; set; }
    public string? TlsServerName { get; set; }
    public string? ProxyUrl { get; set; }
    public override string ToString() => Server ?? "";
}

public sealed class NamedContext
{
    public string Name { get; set; } = "";
    public KubeConfigContext Context { get; set; } = new();
    public override string ToString() => Name;
}

public sealed class KubeConfigContext
{
    public string Cluster { get; set; } = "";
    public string User { get; set; } = "";
    public string? Namespace { get; set; }
    public override string ToString() => $"{User}@{Cluster}";
}

public sealed class NamedUser
{
    public string Name { get; set; } = "";
    public KubeConfigUser User { get; set; } = new();
    public override string ToString() => Name;
}

/// <summary>A kubeconfig user. The key, token and password are secret and internal to KubePS.Core.</summary>
public sealed class KubeConfigUser
{
    /// <summary>client-certificate-data: the client certificate's PEM bytes.</summary>
    public byte[]? ClientCertificateData { get; set; }
    /// <summary>client-certificate: a path to the certificate file.</summary>
    public string? ClientCertificate { get; set; }
    /// <summary>client-key: a path to the key file.</summary>
    public string? ClientKey { get; set; }
    public string? TokenFile { get; set; }
    public string? Username { get; set; }

    internal byte[]? ClientKeyData { get; set; }
    internal string? Token { get; set; }
    internal string? Password { get; set; }

    public bool HasClientKeyData => ClientKeyData is { Length: > 0 };
    public bool HasToken => !string.IsNullOrEmpty(Token);

    /// <summary>How the user authenticates, never the secret itself.</summary>
    public override string ToString() =>
        HasToken ? "token (hidden)" : ClientCertificateData is not null ? "client certificate" + (HasClientKeyData ? " and key (hidden)" : "")
        : ClientCertificate is not null ? "client certificate file " + ClientCertificate : "no credentials";
}
