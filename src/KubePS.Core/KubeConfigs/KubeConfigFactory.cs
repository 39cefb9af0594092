using System.Text;
using System.Text.RegularExpressions;
using KubePS.Core.Nodes;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;

namespace KubePS.Core.KubeConfigs;

/// <summary>The kubeconfig files kubeadm makes, plus a free user (kubeadm kubeconfig user) and the TLS bootstrap file.</summary>
public enum KubeConfigRole
{
    /// <summary>admin.conf: kubernetes-admin in the release's admin group, control-plane endpoint.</summary>
    Admin,
    /// <summary>super-admin.conf (1.29+): kubernetes-super-admin in system:masters, control-plane endpoint.</summary>
    SuperAdmin,
    /// <summary>kubelet.conf: system:node:&lt;node&gt; in system:nodes, control-plane endpoint.</summary>
    Kubelet,
    /// <summary>controller-manager.conf: system:kube-controller-manager, local endpoint.</summary>
    ControllerManager,
    /// <summary>scheduler.conf: system:kube-scheduler, local endpoint.</summary>
    Scheduler,
    /// <summary>bootstrap-kubelet.conf: token user tls-bootstrap-token-user.</summary>
    Bootstrap,
    /// <summary>A user of your choice (CN and groups), control-plane endpoint, as kubeadm kubeconfig user.</summary>
    User,
}

/// <summary>What a kubeconfig needs beyond its CA. Defaults are kubeadm's.</summary>
public sealed class KubeConfigRequest
{
    public KubeConfigRole Role { get; init; } = KubeConfigRole.Admin;
    public string ClusterName { get; init; } = "kubernetes";
    /// <summary>nodeRegistration.name (Kubelet role).</summary>
    public string? NodeName { get; init; }
    /// <summary>localAPIEndpoint.advertiseAddress.</summary>
    public string? AdvertiseAddress { get; init; }
    public int BindPort { get; init; } = 6443;
    /// <summary>controlPlaneEndpoint (host or host:port), or null.</summary>
    public string? ControlPlaneEndpoint { get; init; }
    /// <summary>An explicit server URL, overriding the endpoint rules (e.g. the server found by discovery for bootstrap-kubelet.conf).</summary>
    public string? Server { get; init; }
    public KubeVersion KubernetesVersion { get; init; } = VersionCatalog.NewestRelease;
    public KeyAlgorithm KeyAlgorithm { get; init; } = KeyAlgorithm.Rsa2048;
    /// <summary>Client certificate validity; null = kubeadm's 8760h.</summary>
    public TimeSpan? Validity { get; init; }
    /// <summary>The bootstrap token (Bootstrap role), id.secret. Secret.</summary>
    public string? Token { get; init; }
    /// <summary>The client name (CN) for the User role.</summary>
    public string? UserName { get; init; }
    /// <summary>The groups (O) for the User role.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];
}

/// <summary>A rendered kubeconfig: file name, role, identity, the config and its client certificate. ToString hides secrets.</summary>
public sealed class KubeConfigFile
{
    internal KubeConfigFile(string fileName, KubeConfigRole role, KubeConfig config, KubeCertificate? clientCertificate)
    {
        FileName = fileName;
        Role = role;
        Config = config;
        ClientCertificate = clientCertificate;
    }

    /// <summary>admin.conf, kubelet.conf, ...</summary>
    public string FileName { get; }
    public KubeConfigRole Role { get; }
    public KubeConfig Config { get; }
    public KubeCertificate? ClientCertificate { get; }
    public string Server => Config.Server ?? "";
    public string UserName => Config.Users.FirstOrDefault()?.Name ?? "";
    public string ClusterName => Config.Clusters.FirstOrDefault()?.Name ?? "";
    public string Context => Config.CurrentContext;
    public DateTime? NotAfter => ClientCertificate?.NotAfter;

    /// <summary>The file's YAML (contains the key or token: secret).</summary>
    internal string ToYaml() => KubeConfigYaml.Serialize(Config);

    internal byte[] Content => Encoding.UTF8.GetBytes(ToYaml());

    /// <summary>Writes the file with mode 0600 (created so, then renamed into place). A folder path gets <see cref="FileName"/> appended.</summary>
    public string Save(string path)
    {
        path = Destination(path, FileName);
        PkiFiles.WriteAtomic(path, Content, Modes.Secret);
        return path;
    }

    /// <summary>
    /// Where <see cref="Save"/> writes for <paramref name="path"/>: the path itself, or <paramref name="fileName"/> in it
    /// when it is a folder. Throws KubeConfig.FolderMissing when the folder to write in does not exist, so a caller can
    /// ask before making anything.
    /// </summary>
    public static string Destination(string path, string fileName)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, fileName);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir))
            throw new KubeException("KubeConfig.FolderMissing", $"The folder {dir} does not exist.", KubeErrorCategory.ObjectNotFound, dir, "Create the folder first, or give a path in a folder that exists.");
        return Path.GetFullPath(path);
    }

    /// <summary>The file for a node (0600) under <paramref name="directory"/> (default /etc/kubernetes).</summary>
    public NodeFile ToNodeFile(string directory = "/etc/kubernetes") =>
        new(directory.TrimEnd('/') + "/" + FileName, Content, (int)Modes.Secret);

    public override string ToString() => $"{FileName}: {Context} ({Server})";
}

/// <summary>kubeadm's kubeconfig phase: the files of each role, server URL rules and kubeadm's reuse check.</summary>
public static partial class KubeConfigFactory
{
    [GeneratedRegex("^[a-z0-9]{6}\\.[a-z0-9]{16}$", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();

    /// <summary>
    /// The control-plane endpoint URL: <c>https://</c> + controlPlaneEndpoint (with <paramref name="bindPort"/> appended
    /// when it has no port), or <c>https://&lt;advertiseAddress&gt;:&lt;bindPort&gt;</c> when unset; IPv6 hosts bracketed.
    /// </summary>
    public static string ControlPlaneUrl(string? controlPlaneEndpoint, string? advertiseAddress, int bindPort = 6443)
    {
        if (string.IsNullOrEmpty(controlPlaneEndpoint)) return LocalUrl(advertiseAddress, bindPort);
        var (host, port) = SanRules.ParseHostPort(controlPlaneEndpoint);
        return "https://" + JoinHostPort(host, port ?? bindPort);
    }

    /// <summary>The local endpoint URL: <c>https://&lt;advertiseAddress&gt;:&lt;bindPort&gt;</c>, IPv6 bracketed.</summary>
    public static string LocalUrl(string? advertiseAddress, int bindPort = 6443)
    {
        if (!SanRules.TryParseIP(advertiseAddress, out var ip))
            throw new KubeException("KubeConfig.InvalidAdvertiseAddress", $"The advertise address '{advertiseAddress}' is not an IP address.",
                KubeErrorCategory.InvalidArgument, advertiseAddress, "Give the node's IP address, e.g. 10.0.0.11.");
        if (bindPort is < 1 or > 65535)
            throw new KubeException("KubeConfig.InvalidBindPort", $"The bind port {bindPort} is outside 1-65535.", KubeErrorCategory.InvalidArgument, bindPort, "Use 6443.");
        return "https://" + JoinHostPort(ip.ToString(), bindPort);
    }

    static string JoinHostPort(string host, int port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>The file name kubeadm uses for a role (User: &lt;name&gt;.conf).</summary>
    public static string FileNameFor(KubeConfigRole role, string? userName = null) => role switch
    {
        KubeConfigRole.Admin => "admin.conf",
        KubeConfigRole.SuperAdmin => "super-admin.conf",
        KubeConfigRole.Kubelet => "kubelet.conf",
        KubeConfigRole.ControllerManager => "controller-manager.conf",
        KubeConfigRole.Scheduler => "scheduler.conf",
        KubeConfigRole.Bootstrap => "bootstrap-kubelet.conf",
        _ => Regex.Replace(userName ?? "user", "[^A-Za-z0-9._-]", "_") + ".conf",
    };

    /// <summary>
    /// A kubeconfig for a role, its client certificate (if any) signed by <paramref name="ca"/> (which must hold its key,
    /// except for Bootstrap). Client certificates get ClientAuth and leaf validity (kubeadm-facts §2).
    /// </summary>
    public static KubeConfigFile Create(KubeConfigRequest request, KubeCertificate ca, TimeProvider? clock = null)
    {
        if (request.Role == KubeConfigRole.Bootstrap && (request.Token is null || !TokenPattern().IsMatch(request.Token)))
            throw new KubeException("KubeConfig.InvalidToken", "The bootstrap token does not have the form [a-z0-9]{6}.[a-z0-9]{16} (its value is not shown).",
                KubeErrorCategory.InvalidArgument, "Token", "Give a bootstrap token such as the one kubeadm token create prints.");
        var release = VersionCatalog.Get(request.KubernetesVersion);
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        var localRole = request.Role is KubeConfigRole.ControllerManager or KubeConfigRole.Scheduler;
        var server = request.Server ?? (localRole
            ? LocalUrl(request.AdvertiseAddress, request.BindPort)
            : ControlPlaneUrl(request.ControlPlaneEndpoint, request.AdvertiseAddress, request.BindPort));
        var caPem = Encoding.ASCII.GetBytes(Pem.Encode("CERTIFICATE", ca.Certificate.RawData));
        var fileName = FileNameFor(request.Role, request.UserName);

        if (request.Role == KubeConfigRole.Bootstrap)
        {
            var config = Build(request.ClusterName, "tls-bootstrap-token-user", server, caPem, new KubeConfigUser { Token = request.Token });
            return new KubeConfigFile(fileName, request.Role, config, null);
        }

        var (cn, groups) = Identity(request, release);
        var key = KubeKey.Generate(request.KeyAlgorithm);
        var cert = CertificateSigner.Sign(ca, fileName, null,
            new CertificateSpec { CommonName = cn, Organizations = groups, Usages = [CertificateUsage.ClientAuth] },
            release, key, now, request.Validity);
        var user = new KubeConfigUser
        {
            ClientCertificateData = Encoding.ASCII.GetBytes(cert.CertificatePem),
            ClientKeyData = Encoding.ASCII.GetBytes(cert.KeyPem!),
        };
        return new KubeConfigFile(fileName, request.Role, Build(request.ClusterName, cn, server, caPem, user), cert);
    }

    /// <summary>
    /// The kubeconfigs of a control-plane node made by init: admin.conf, super-admin.conf (where the release has it),
    /// kubelet.conf, controller-manager.conf, scheduler.conf. For a control-plane join pass <paramref name="join"/>:
    /// admin, controller-manager and scheduler only.
    /// </summary>
    public static IReadOnlyList<KubeConfigFile> CreateControlPlaneSet(PkiRequest node, KubeCertificate ca, bool join = false, TimeProvider? clock = null)
    {
        var release = node.Release;
        var roles = new List<KubeConfigRole> { KubeConfigRole.Admin };
        if (!join && release.HasSuperAdminConf) roles.Add(KubeConfigRole.SuperAdmin);
        if (!join) roles.Add(KubeConfigRole.Kubelet);
        roles.Add(KubeConfigRole.ControllerManager);
        roles.Add(KubeConfigRole.Scheduler);
        var results = new KubeConfigFile[roles.Count];
        Parallel.For(0, roles.Count, i => results[i] = Create(new KubeConfigRequest
        {
            Role = roles[i],
            ClusterName = node.ClusterName,
            NodeName = node.NodeName,
            AdvertiseAddress = node.AdvertiseAddress,
            BindPort = node.BindPort,
            ControlPlaneEndpoint = node.ControlPlaneEndpoint,
            KubernetesVersion = node.KubernetesVersion,
            KeyAlgorithm = node.KeyAlgorithm,
            Validity = node.CertificateValidity,
        }, ca, clock));
        return results;
    }

    static (string Cn, IReadOnlyList<string> Groups) Identity(KubeConfigRequest request, ReleaseInfo release)
    {
        switch (request.Role)
        {
            case KubeConfigRole.Admin: return ("kubernetes-admin", [release.AdminGroup]);
            case KubeConfigRole.SuperAdmin:
                if (!release.HasSuperAdminConf)
                    throw new KubeException("KubeConfig.NoSuperAdmin",
                        $"Kubernetes {request.KubernetesVersion} has no super-admin.conf (it came with 1.29); admin.conf is already in system:masters there.",
                        KubeErrorCategory.InvalidArgument, request.KubernetesVersion.ToString(), "Use -Role Admin, or a Kubernetes version from 1.29 on.");
                return ("kubernetes-super-admin", ["system:masters"]);
            case KubeConfigRole.Kubelet:
                if (string.IsNullOrWhiteSpace(request.NodeName))
                    throw new KubeException("KubeConfig.NodeNameMissing", "kubelet.conf is for one node (user system:node:<name>); no node name was given.",
                        KubeErrorCategory.InvalidArgument, null, "Give the node name, e.g. -NodeName cp1.");
                return ("system:node:" + request.NodeName, ["system:nodes"]);
            case KubeConfigRole.ControllerManager: return ("system:kube-controller-manager", []);
            case KubeConfigRole.Scheduler: return ("system:kube-scheduler", []);
            default:
                if (string.IsNullOrWhiteSpace(request.UserName))
                    throw new KubeException("KubeConfig.UserNameMissing", "A User kubeconfig needs a client name (its certificate's CN).",
                        KubeErrorCategory.InvalidArgument, null, "Give -UserName, e.g. -UserName jane -Group developers.");
                return (request.UserName, request.Groups);
        }
    }

    /// <summary>A kubeconfig with one cluster, one user and one context named &lt;user&gt;@&lt;cluster&gt;, as client-go's helpers build it.</summary>
    public static KubeConfig Build(string clusterName, string userName, string server, byte[] caPem, KubeConfigUser user)
    {
        var context = $"{userName}@{clusterName}";
        return new KubeConfig
        {
            Clusters = [new NamedCluster { Name = clusterName, Cluster = new KubeConfigCluster { Server = server, CertificateAuthorityData = caPem } }],
            Contexts = [new NamedContext { Name = context, Context = new KubeConfigContext { Cluster = clusterName, User = userName } }],
            CurrentContext = context,
            Users = [new NamedUser { Name = userName, User = user }],
        };
    }

    /// <summary>
    /// Renews the embedded client certificate of a kubeconfig as kubeadm certs renew does for admin.conf and the
    /// others: same subject (CN, O) and usages, a new key and serial, kubeadm's validity from <paramref name="now"/>,
    /// signed by <paramref name="ca"/>. Cluster, context and server are kept. Returns a new <see cref="KubeConfig"/>.
    /// </summary>
    public static KubeConfig RenewClientCertificate(KubeConfig existing, string source, KubeCertificate ca, KubeVersion version,
        DateTimeOffset now, TimeSpan? validity = null, KeyAlgorithm? keyAlgorithm = null)
    {
        var user = existing.CurrentUser;
        if (user?.ClientCertificateData is null)
            throw new KubeException("KubeConfig.NoClientCertificate", $"The kubeconfig {source} has no embedded client certificate to renew (its user authenticates otherwise).",
                KubeErrorCategory.InvalidOperation, source, "Renew only kubeconfigs with client-certificate-data, such as admin.conf.");
        var cert = PkiFiles.ParseCertificates(Encoding.UTF8.GetString(user.ClientCertificateData), source)[0];
        var current = new KubeCertificate(Path.GetFileName(source), null, ca.Name, cert, null, CertificateOrigin.Reused);
        var renewed = CertificateSigner.Renew(current, ca, VersionCatalog.Get(version), now, validity, keepKey: false,
            keyAlgorithm ?? current.KeyAlgorithm);
        var copy = KubeConfigYaml.Parse(KubeConfigYaml.Serialize(existing), source);
        var target = copy.CurrentUser!;
        target.ClientCertificateData = Encoding.ASCII.GetBytes(renewed.CertificatePem);
        target.ClientKeyData = Encoding.ASCII.GetBytes(renewed.KeyPem!);
        return copy;
    }

    /// <summary>Writes a kubeconfig model to a file with mode 0600.</summary>
    public static void Save(KubeConfig config, string path) =>
        PkiFiles.WriteAtomic(path, Encoding.UTF8.GetBytes(KubeConfigYaml.Serialize(config)), Modes.Secret);

    /// <summary>Reads a kubeconfig file.</summary>
    public static KubeConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new KubeException("KubeConfig.NotFound", $"The kubeconfig {path} does not exist.", KubeErrorCategory.ObjectNotFound, path, "Check the path.");
        return KubeConfigYaml.Parse(File.ReadAllText(path), path);
    }

    /// <summary>
    /// kubeadm's check of an existing kubeconfig before reusing it: the current context's CA data (whitespace-trimmed,
    /// else the file named by certificate-authority) must equal the expected CA (<c>KubeConfig.CAMismatch</c>); a
    /// different server is only a warning (returned).
    /// </summary>
    public static string? ValidateExisting(KubeConfig existing, string source, KubeCertificate expectedCA, string expectedServer)
    {
        var cluster = existing.CurrentCluster
            ?? throw new KubeException("KubeConfig.Invalid", $"The kubeconfig {source} has no cluster for its current context '{existing.CurrentContext}'.",
                KubeErrorCategory.InvalidData, source, "Remove the file so that it is made again.");
        var current = cluster.CertificateAuthorityData;
        if ((current is null || current.Length == 0) && cluster.CertificateAuthority is { } caFile && File.Exists(caFile))
            current = File.ReadAllBytes(caFile);
        var expected = Encoding.ASCII.GetBytes(Pem.Encode("CERTIFICATE", expectedCA.Certificate.RawData));
        if (!Trim(current ?? []).SequenceEqual(Trim(expected)))
            throw new KubeException("KubeConfig.CAMismatch", $"The kubeconfig {source} exists already but has got the wrong CA cert (expected {expectedCA.Subject}).",
                KubeErrorCategory.InvalidData, source, "Remove the file so that it is made again with the current CA.");
        return cluster.Server == expectedServer ? null
            : $"the kubeconfig {source} exists already but has an unexpected API server URL: expected {expectedServer}, got {cluster.Server}";
    }

    static ReadOnlySpan<byte> Trim(byte[] b)
    {
        int s = 0, e = b.Length;
        while (s < e && char.IsWhiteSpace((char)b[s])) s++;
        while (e > s && char.IsWhiteSpace((char)b[e - 1])) e--;
        return b.AsSpan(s, e - s);
    }
}
