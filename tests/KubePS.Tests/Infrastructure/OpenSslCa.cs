namespace KubePS.Tests.Infrastructure;

/// <summary>
/// A CA and certificates made with the openssl command line, for tests that need TLS material not made by KubePS
/// (so that KubePS code is judged against something other than itself).
/// </summary>
public sealed class OpenSslCa
{
    public OpenSslCa(string dir, string name)
    {
        Dir = dir;
        Name = name;
        Directory.CreateDirectory(dir);
        Tool.Run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
            "-subj", $"/CN={name}", "-keyout", KeyPath, "-out", CertPath,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"]).OrThrow("openssl CA");
    }

    public string Dir { get; }
    public string Name { get; }
    public string CertPath => Path.Combine(Dir, Name + ".crt");
    public string KeyPath => Path.Combine(Dir, Name + ".key");

    /// <summary>Issues a leaf; returns (certPath, keyPath).</summary>
    public (string Cert, string Key) Issue(string fileName, string commonName, string extKeyUsage, string? subjectAltNames = null, string? organization = null)
    {
        string key = Path.Combine(Dir, fileName + ".key"), csr = Path.Combine(Dir, fileName + ".csr"), crt = Path.Combine(Dir, fileName + ".crt");
        var ext = Path.Combine(Dir, fileName + ".ext");
        File.WriteAllText(ext, $"keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage={extKeyUsage}\n" + (subjectAltNames is null ? "" : $"subjectAltName={subjectAltNames}\n"));
        string subj = (organization is null ? "" : $"/O={organization}") + $"/CN={commonName}";
        Tool.Run("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", subj, "-keyout", key, "-out", csr]).OrThrow("openssl csr");
        Tool.Run("openssl", ["x509", "-req", "-in", csr, "-CA", CertPath, "-CAkey", KeyPath, "-CAcreateserial", "-days", "30", "-extfile", ext, "-out", crt]).OrThrow("openssl sign");
        return (crt, key);
    }
}
