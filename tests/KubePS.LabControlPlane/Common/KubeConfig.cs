using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace KubePS.LabControlPlane.Common;

/// <summary>The parts of a kubeconfig file a component uses: server, trust, and one credential.</summary>
public sealed class KubeConfig
{
    public required string Path { get; init; }
    public required string Server { get; init; }
    public X509Certificate2Collection? CaBundle { get; init; }
    public byte[]? CaData { get; init; }
    public bool Insecure { get; init; }
    public X509Certificate2? ClientCert { get; init; }
    public string? Token { get; init; }

    public static KubeConfig Load(string path, string what)
    {
        if (!File.Exists(path)) throw new LabException($"{what} {path}: no such file");
        JsonObject doc;
        try { doc = Yaml.ParseObject(File.ReadAllText(path), path); }
        catch (FormatException e) { throw new LabException($"{what} {path}: {e.Message}"); }
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var ctxName = doc.Str("current-context");
        var ctx = Named(doc, "contexts", ctxName, "context");
        if (ctx is null && (doc["contexts"] as JsonArray)?.Count > 0 && string.IsNullOrEmpty(ctxName))
            throw new LabException($"{what} {path}: current-context is not set");
        var clusterName = ctx.Str("cluster");
        var userName = ctx.Str("user");
        var cluster = ctx is null ? FirstOf(doc, "clusters", "cluster") : Named(doc, "clusters", clusterName, "cluster");
        if (cluster is null) throw new LabException($"{what} {path}: no cluster \"{clusterName}\"");
        var user = ctx is null ? FirstOf(doc, "users", "user") : Named(doc, "users", userName, "user");
        var server = cluster.Str("server") ?? throw new LabException($"{what} {path}: cluster has no server");

        byte[]? caData = null;
        if (cluster.Str("certificate-authority-data") is { } cad) caData = Convert.FromBase64String(cad);
        else if (cluster.Str("certificate-authority") is { } caf) caData = File.ReadAllBytes(Resolve(dir, caf, what, path));
        X509Certificate2Collection? ca = caData is null ? null : Pki.BundleFromPem(Encoding.UTF8.GetString(caData), $"{what} {path} certificate-authority");

        X509Certificate2? cert = null;
        string? token = null;
        if (user is not null)
        {
            string? certPem = user.Str("client-certificate-data") is { } ccd ? Encoding.UTF8.GetString(Convert.FromBase64String(ccd))
                : user.Str("client-certificate") is { } ccf ? File.ReadAllText(Resolve(dir, ccf, what, path)) : null;
            string? keyPem = user.Str("client-key-data") is { } ckd ? Encoding.UTF8.GetString(Convert.FromBase64String(ckd))
                : user.Str("client-key") is { } ckf ? File.ReadAllText(Resolve(dir, ckf, what, path)) : null;
            if (certPem is not null && keyPem is not null) cert = Pki.CertWithKeyFromPem(certPem, keyPem, $"{what} {path}");
            else if (certPem is not null || keyPem is not null)
                throw new LabException($"{what} {path}: client certificate and key must both be given");
            token = user.Str("token");
            if (token is null && user.Str("tokenFile") is { } tf) token = File.ReadAllText(Resolve(dir, tf, what, path)).Trim();
        }
        return new KubeConfig
        {
            Path = path, Server = server.TrimEnd('/'), CaBundle = ca, CaData = caData,
            Insecure = cluster.Bool("insecure-skip-tls-verify") == true, ClientCert = cert, Token = token,
        };
    }

    static string Resolve(string dir, string file, string what, string path)
    {
        var full = System.IO.Path.IsPathRooted(file) ? file : System.IO.Path.Combine(dir, file);
        if (!File.Exists(full)) throw new LabException($"{what} {path}: referenced file {full}: no such file");
        return full;
    }

    static JsonObject? Named(JsonObject doc, string list, string? name, string inner)
    {
        foreach (var e in doc.Arr(list))
            if (e.Str("name") == (name ?? "")) return e.Obj(inner);
        return null;
    }

    static JsonObject? FirstOf(JsonObject doc, string list, string inner) =>
        doc.Arr(list).FirstOrDefault() is JsonNode n ? n.Obj(inner) : null;
}
