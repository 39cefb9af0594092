using KubePS.Core.Api;
using KubePS.Core.Workflows;

namespace KubePS.Core.KubeConfigs;

/// <summary>
/// A cluster to talk to: a kubeconfig (with the context to use) and where it came from. Connect-KubeCluster makes
/// one the module's current cluster; API cmdlets find theirs with <see cref="Resolve"/>, in kubectl's order
/// (DESIGN.md "Talking to the cluster"). The kubeconfig's key and token stay inside; ToString names the server only.
/// </summary>
public sealed class KubeClusterConnection
{
    static KubeClusterConnection? _current;

    KubeClusterConnection(KubeConfig config, string source, string? baseDirectory)
    {
        KubeConfig = config;
        Source = source;
        BaseDirectory = baseDirectory;
    }

    /// <summary>The kubeconfig (its current context is the one used).</summary>
    public KubeConfig KubeConfig { get; }

    /// <summary>Where it came from: a file path, $env:KUBECONFIG, ~/.kube/config or a control plane's admin.conf.</summary>
    public string Source { get; }

    /// <summary>The folder relative file references in the kubeconfig are taken from (null: none).</summary>
    public string? BaseDirectory { get; }

    public string Context => KubeConfig.CurrentContext;

    public string Server => KubeConfig.Server ?? "";

    public string ClusterName => KubeConfig.Contexts.FirstOrDefault(c => c.Name == KubeConfig.CurrentContext)?.Context.Cluster ?? "";

    public string UserName => KubeConfig.Contexts.FirstOrDefault(c => c.Name == KubeConfig.CurrentContext)?.Context.User ?? "";

    /// <summary>client certificate, bearer token or anonymous.</summary>
    public string AuthenticationKind { get; private set; } = "";

    /// <summary>The server, CA and credentials of the context, for <see cref="KubeApiClient"/>.</summary>
    public KubeApiCredentials Credentials() => KubeConfigCredentials.From(KubeConfig, Source, BaseDirectory);

    /// <summary>A client for this cluster; the caller disposes it.</summary>
    public KubeApiClient CreateClient(TimeSpan? requestTimeout = null) => new(Credentials(), requestTimeout);

    public override string ToString() => $"{Context} ({Server}) from {Source}";

    // ---------------------------------------------------------------- making one

    /// <summary>A kubeconfig file; <paramref name="context"/> picks a context other than its current-context.</summary>
    public static KubeClusterConnection FromFile(string path, string? context = null)
    {
        var full = Path.GetFullPath(path);
        return FromConfig(KubeConfigFactory.Load(full), full, Path.GetDirectoryName(full), context);
    }

    /// <summary>A kubeconfig object (Import-KubeConfig, New-KubeConfig); <paramref name="context"/> as above.</summary>
    public static KubeClusterConnection FromConfig(KubeConfig config, string source, string? baseDirectory = null, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (context is not null)
        {
            if (config.Contexts.All(c => c.Name != context))
                throw new KubeException("KubeConfig.NoSuchContext",
                    $"The kubeconfig {source} has no context '{context}'. It has: {string.Join(", ", config.Contexts.Select(c => c.Name))}.",
                    KubeErrorCategory.ObjectNotFound, context, "Give one of the listed contexts.");
            config = KubeConfigYaml.Parse(KubeConfigYaml.Serialize(config), source);
            config.CurrentContext = context;
        }
        var connection = new KubeClusterConnection(config, source, baseDirectory);
        // Fails now, with the reason, if the context is unusable.
        connection.AuthenticationKind = connection.Credentials().AuthenticationKind;
        return connection;
    }

    /// <summary>The admin.conf of a control plane Initialize-KubeControlPlane made.</summary>
    public static KubeClusterConnection FromControlPlane(KubeControlPlane controlPlane)
    {
        ArgumentNullException.ThrowIfNull(controlPlane);
        var admin = controlPlane.AdminKubeConfig
            ?? throw new KubeException("KubeConfig.NoAdminKubeConfig",
                $"The control plane {controlPlane.Endpoint} has no admin.conf: its init did not run the kubeconfig/admin phase.",
                KubeErrorCategory.ObjectNotFound, controlPlane.Node, "Run Initialize-KubeControlPlane -Phase kubeconfig/admin, or connect with -KubeConfig.");
        return FromConfig(admin, $"admin.conf of {controlPlane.Node}{(controlPlane.DryRun ? " (dry run)" : "")}");
    }

    // ---------------------------------------------------------------- the module's current cluster

    /// <summary>The cluster Connect-KubeCluster chose in this process, or null.</summary>
    public static KubeClusterConnection? Current => Volatile.Read(ref _current);

    /// <summary>Makes <paramref name="connection"/> the current cluster and returns it.</summary>
    public static KubeClusterConnection Connect(KubeClusterConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Volatile.Write(ref _current, connection);
        return connection;
    }

    /// <summary>Forgets the current cluster.</summary>
    public static void Disconnect() => Volatile.Write(ref _current, null);

    /// <summary>
    /// The cluster an API command talks to, as kubectl finds it: <paramref name="explicitConnection"/> (-KubeConfig),
    /// then the current cluster of Connect-KubeCluster, then the files of $KUBECONFIG (path list, merged as kubectl
    /// merges them: the first file that sets the current context or a named entry wins), then ~/.kube/config.
    /// <paramref name="kubeconfigVariable"/> and <paramref name="home"/> default to this process's environment.
    /// Fails with KubeConfig.NotFound when none of them gives a kubeconfig.
    /// </summary>
    public static KubeClusterConnection Resolve(KubeClusterConnection? explicitConnection = null, string? kubeconfigVariable = null, string? home = null)
    {
        if (explicitConnection is not null) return explicitConnection;
        if (Current is { } current) return current;
        kubeconfigVariable ??= Environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrWhiteSpace(kubeconfigVariable))
        {
            var files = kubeconfigVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(File.Exists).ToList();
            if (files.Count > 0) return FromConfig(Merge(files), "$KUBECONFIG (" + string.Join(Path.PathSeparator, files) + ")", Path.GetDirectoryName(Path.GetFullPath(files[0])));
        }
        home ??= Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var fallback = Path.Combine(home, ".kube", "config");
        if (File.Exists(fallback)) return FromFile(fallback);
        throw new KubeException("KubeConfig.NotFound",
            "No cluster to talk to: no -KubeConfig was given, Connect-KubeCluster was not run, $KUBECONFIG names no existing file and ~/.kube/config does not exist.",
            KubeErrorCategory.ObjectNotFound, fallback,
            "Run Connect-KubeCluster -KubeConfig <admin.conf> (or pipe the result of Initialize-KubeControlPlane into it), or pass -KubeConfig.");
    }

    /// <summary>kubectl's merge of several kubeconfig files: first current-context set wins; named entries: first wins.</summary>
    static KubeConfig Merge(IReadOnlyList<string> files)
    {
        var merged = new KubeConfig();
        foreach (var file in files)
        {
            var c = KubeConfigFactory.Load(file);
            // Relative file references are relative to the file that holds them.
            var dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
            string? Abs(string? p) => p is null || Path.IsPathRooted(p) ? p : Path.Combine(dir, p);
            foreach (var x in c.Clusters) x.Cluster.CertificateAuthority = Abs(x.Cluster.CertificateAuthority);
            foreach (var u in c.Users)
            {
                u.User.ClientCertificate = Abs(u.User.ClientCertificate);
                u.User.ClientKey = Abs(u.User.ClientKey);
                u.User.TokenFile = Abs(u.User.TokenFile);
            }
            if (string.IsNullOrEmpty(merged.CurrentContext)) merged.CurrentContext = c.CurrentContext;
            merged.Clusters.AddRange(c.Clusters.Where(x => merged.Clusters.All(m => m.Name != x.Name)));
            merged.Contexts.AddRange(c.Contexts.Where(x => merged.Contexts.All(m => m.Name != x.Name)));
            merged.Users.AddRange(c.Users.Where(x => merged.Users.All(m => m.Name != x.Name)));
        }
        return merged;
    }
}
