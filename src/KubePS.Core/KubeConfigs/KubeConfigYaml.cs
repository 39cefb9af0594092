using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace KubePS.Core.KubeConfigs;

/// <summary>
/// Writes and reads kubeconfig YAML in client-go's shape: keys sorted at every level (apiVersion, clusters, contexts,
/// current-context, kind, preferences {}, users), list items as <c>- cluster: ... name: ...</c>, byte fields as
/// standard base64, empty lists as <c>null</c>.
/// </summary>
public static partial class KubeConfigYaml
{
    public static string Serialize(KubeConfig config)
    {
        var sw = new StringWriter { NewLine = "\n" };
        var e = new Emitter(sw, new EmitterSettings(2, int.MaxValue, false, 1024, false, false, "\n"));
        e.Emit(new StreamStart());
        e.Emit(new DocumentStart(null, null, true));
        e.Emit(new MappingStart());
        Pair(e, "apiVersion", config.ApiVersion);
        List(e, "clusters", config.Clusters, c =>
        {
            Key(e, "cluster");
            e.Emit(new MappingStart());
            var cl = c.Cluster;
            if (cl.CertificateAuthority is { } caPath) Pair(e, "certificate-authority", caPath);
            if (cl.CertificateAuthorityData is { } ca) Pair(e, "certificate-authority-data", Convert.ToBase64String(ca));
            if (cl.InsecureSkipTlsVerify) { Key(e, "insecure-skip-tls-verify"); e.Emit(new Scalar(null, null, "true", ScalarStyle.Plain, true, false)); }
            if (cl.ProxyUrl is { } proxy) Pair(e, "proxy-url", proxy);
            if (cl.Server is { } server) Pair(e, "server", server);
            if (cl.TlsServerName is { } tls) Pair(e, "tls-server-name", tls);
            e.Emit(new MappingEnd());
            Pair(e, "name", c.Name);
        });
        List(e, "contexts", config.Contexts, c =>
        {
            Key(e, "context");
            e.Emit(new MappingStart());
            Pair(e, "cluster", c.Context.Cluster);
            if (c.Context.Namespace is { } ns) Pair(e, "namespace", ns);
            Pair(e, "user", c.Context.User);
            e.Emit(new MappingEnd());
            Pair(e, "name", c.Name);
        });
        Pair(e, "current-context", config.CurrentContext);
        Pair(e, "kind", config.Kind);
        Key(e, "preferences");
        e.Emit(new MappingStart(null, null, true, MappingStyle.Flow));
        e.Emit(new MappingEnd());
        List(e, "users", config.Users, u =>
        {
            Pair(e, "name", u.Name);
            Key(e, "user");
            var user = u.User;
            bool any = user.ClientCertificate is not null || user.ClientCertificateData is not null || user.ClientKey is not null ||
                       user.ClientKeyData is not null || user.Password is not null || user.Token is not null || user.TokenFile is not null || user.Username is not null;
            e.Emit(new MappingStart(null, null, true, any ? MappingStyle.Block : MappingStyle.Flow));
            if (user.ClientCertificate is { } cc) Pair(e, "client-certificate", cc);
            if (user.ClientCertificateData is { } ccd) Pair(e, "client-certificate-data", Convert.ToBase64String(ccd));
            if (user.ClientKey is { } ck) Pair(e, "client-key", ck);
            if (user.ClientKeyData is { } ckd) Pair(e, "client-key-data", Convert.ToBase64String(ckd));
            if (user.Password is { } pw) Pair(e, "password", pw);
            if (user.Token is { } token) Pair(e, "token", token);
            if (user.TokenFile is { } tf) Pair(e, "tokenFile", tf);
            if (user.Username is { } un) Pair(e, "username", un);
            e.Emit(new MappingEnd());
        });
        e.Emit(new MappingEnd());
        e.Emit(new DocumentEnd(true));
        e.Emit(new StreamEnd());
        return sw.ToString();
    }

    static void List<T>(IEmitter e, string key, List<T> items, Action<T> body)
    {
        Key(e, key);
        if (items.Count == 0)
        {
            e.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
            return;
        }
        e.Emit(new SequenceStart(null, null, true, SequenceStyle.Block));
        foreach (var item in items)
        {
            e.Emit(new MappingStart());
            body(item);
            e.Emit(new MappingEnd());
        }
        e.Emit(new SequenceEnd());
    }

    static void Key(IEmitter e, string key) => e.Emit(new Scalar(null, null, key, ScalarStyle.Plain, true, false));

    static void Pair(IEmitter e, string key, string value)
    {
        Key(e, key);
        e.Emit(new Scalar(null, null, value, NeedsDoubleQuotes(value) ? ScalarStyle.DoubleQuoted : ScalarStyle.Plain, true, false));
    }

    // go-yaml double-quotes strings that would otherwise read back as another type (YAML 1.1 bool/null/number) or empty.
    [GeneratedRegex(@"^(|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)$")]
    private static partial Regex Ambiguous();

    static bool NeedsDoubleQuotes(string value) => Ambiguous().IsMatch(value);

    /// <summary>
    /// Parses a kubeconfig (any key order; unknown keys ignored). Malformed YAML or a wrong shape throws
    /// <c>KubeConfig.Invalid</c> naming <paramref name="source"/>, never the content.
    /// </summary>
    public static KubeConfig Parse(string yaml, string source)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e)
        {
            throw Invalid(source, $"it is not valid YAML (line {e.Start.Line}, column {e.Start.Column})", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw Invalid(source, "it is not a YAML mapping", null);
        var config = new KubeConfig
        {
            ApiVersion = Str(root, "apiVersion") ?? "v1",
            Kind = Str(root, "kind") ?? "Config",
            CurrentContext = Str(root, "current-context") ?? "",
        };
        foreach (var item in Items(root, "clusters", source))
        {
            var c = Map(item, "cluster");
            config.Clusters.Add(new NamedCluster
            {
                Name = Str(item, "name") ?? "",
                Cluster = c is null ? new() : new KubeConfigCluster
                {
                    Server = Str(c, "server"),
                    CertificateAuthority = Str(c, "certificate-authority"),
                    CertificateAuthorityData = Bytes(c, "certificate-authority-data", source),
                    InsecureSkipTlsVerify = Str(c, "insecure-skip-tls-verify") == "true",
                    TlsServerName = Str(c, "tls-server-name"),
                    ProxyUrl = Str(c, "proxy-url"),
                },
            });
        }
        foreach (var item in Items(root, "contexts", source))
        {
            var c = Map(item, "context");
            config.Contexts.Add(new NamedContext
            {
                Name = Str(item, "name") ?? "",
                Context = c is null ? new() : new KubeConfigContext { Cluster = Str(c, "cluster") ?? "", User = Str(c, "user") ?? "", Namespace = Str(c, "namespace") },
            });
        }
        foreach (var item in Items(root, "users", source))
        {
            var u = Map(item, "user");
            config.Users.Add(new NamedUser
            {
                Name = Str(item, "name") ?? "",
                User = u is null ? new() : new KubeConfigUser
                {
                    ClientCertificateData = Bytes(u, "client-certificate-data", source),
                    ClientCertificate = Str(u, "client-certificate"),
                    ClientKeyData = Bytes(u, "client-key-data", source),
                    ClientKey = Str(u, "client-key"),
                    Token = Str(u, "token"),
                    TokenFile = Str(u, "tokenFile"),
                    Username = Str(u, "username"),
                    Password = Str(u, "password"),
                },
            });
        }
        return config;
    }

    static KubeException Invalid(string source, string why, Exception? inner) =>
        new("KubeConfig.Invalid", $"The kubeconfig {source} cannot be read: {why}.", KubeErrorCategory.InvalidData, source,
            "Check the file with 'kubectl config view --kubeconfig <file>'.", inner);

    static YamlNode? Get(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    static string? Str(YamlMappingNode m, string key) =>
        Get(m, key) is YamlScalarNode s && !(s.Style == ScalarStyle.Plain && s.Value is "null" or "~") ? s.Value : null;

    static YamlMappingNode? Map(YamlMappingNode m, string key) => Get(m, key) as YamlMappingNode;

    static IEnumerable<YamlMappingNode> Items(YamlMappingNode m, string key, string source) => Get(m, key) switch
    {
        null => [],
        YamlScalarNode => [],
        YamlSequenceNode seq => seq.Children.Select(c => c as YamlMappingNode ?? throw Invalid(source, $"an item of '{key}' is not a mapping", null)),
        _ => throw Invalid(source, $"'{key}' is not a list", null),
    };

    static byte[]? Bytes(YamlMappingNode m, string key, string source)
    {
        var s = Str(m, key);
        if (s is null) return null;
        try { return Convert.FromBase64String(s); }
        catch (FormatException e) { throw Invalid(source, $"'{key}' is not base64", e); }
    }

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
