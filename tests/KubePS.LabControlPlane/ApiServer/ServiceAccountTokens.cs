using System.Security.Cryptography;
using System.Text;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>
/// Bound service account tokens: JWTs signed with --service-account-signing-key-file (TokenRequest) and verified
/// with the keys in --service-account-key-file, issuer --service-account-issuer. Wrong or mismatched sa.key/sa.pub
/// therefore break every controller that uses service account credentials, as in a real cluster.
/// Legacy (Secret-based) tokens as well, which the API server always accepts: issuer kubernetes/serviceaccount, signed
/// by the controller-manager with --service-account-private-key-file, verified with --service-account-key-file, and
/// looked up (the Secret must exist and hold this very token, the service account must exist with the token's uid).
/// Clusters before 1.20 (kubeadm gave the API server no --service-account-issuer) have only these.
/// </summary>
public sealed class ServiceAccountTokens
{
    readonly AsymmetricAlgorithm? _signing;
    readonly string _kid = "";
    readonly List<AsymmetricAlgorithm> _verify = [];
    readonly string[] _issuers;
    readonly string[] _audiences;
    readonly EtcdStore _store;

    public ServiceAccountTokens(EtcdStore store, string? signingKeyFile, IEnumerable<string> keyFiles, string[] issuers, string[] audiences)
    {
        _store = store;
        _issuers = issuers;
        _audiences = audiences.Length > 0 ? audiences : issuers;
        if (signingKeyFile is not null)
        {
            _signing = LoadKey(signingKeyFile, "--service-account-signing-key-file", requirePrivate: true);
            _kid = KeyId(_signing);
        }
        foreach (var f in keyFiles) _verify.Add(LoadKey(f, "--service-account-key-file", requirePrivate: false));
        if (_signing is not null && !_verify.Any(v => KeyId(v) == _kid))
            Log.Warn("the --service-account-signing-key-file key is not among the --service-account-key-file keys: tokens it signs will not verify");
    }

    public bool CanIssue => _signing is not null && _issuers.Length > 0;

    internal static AsymmetricAlgorithm LoadKey(string file, string flag, bool requirePrivate)
    {
        Pki.Exists(file, flag);
        var pem = File.ReadAllText(file);
        if (pem.Contains("CERTIFICATE-----"))
        {
            var c = X509Certificate2.CreateFromPem(pem);
            return (AsymmetricAlgorithm?)c.GetRSAPublicKey() ?? c.GetECDsaPublicKey() ?? throw new LabException($"{flag} {file}: unsupported key");
        }
        bool isEc = pem.Contains("EC PRIVATE KEY") || (!pem.Contains("RSA") && TryEc(pem));
        try
        {
            AsymmetricAlgorithm key;
            if (isEc) { var ec = ECDsa.Create(); ec.ImportFromPem(pem); key = ec; }
            else { var rsa = RSA.Create(); rsa.ImportFromPem(pem); key = rsa; }
            if (requirePrivate && !pem.Contains("PRIVATE KEY")) throw new LabException($"{flag} {file}: not a private key");
            return key;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new LabException($"{flag} {file}: not a PEM RSA/ECDSA key: {e.Message}");
        }
    }

    static bool TryEc(string pem)
    {
        try { using var ec = ECDsa.Create(); ec.ImportFromPem(pem); return true; }
        catch (Exception e) when (e is CryptographicException or ArgumentException) { return false; }
    }

    static byte[] PublicDer(AsymmetricAlgorithm k) => k switch
    {
        RSA r => r.ExportSubjectPublicKeyInfo(),
        ECDsa e => e.ExportSubjectPublicKeyInfo(),
        _ => [],
    };

    /// <summary>Key id as the API server derives it: base64url(SHA-256 of the DER public key).</summary>
    static string KeyId(AsymmetricAlgorithm k) => B64Url(SHA256.HashData(PublicDer(k)));

    static string B64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    static byte[] FromB64Url(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }

    public (string token, DateTime expires) Issue(string ns, string name, string uid, string[] audiences, long expirationSeconds)
    {
        if (_signing is null) throw ApiError.Internal("no --service-account-signing-key-file: cannot issue tokens");
        var now = DateTimeOffset.UtcNow;
        var exp = now.AddSeconds(expirationSeconds);
        var alg = _signing is RSA ? "RS256" : "ES256";
        var header = new JsonObject { ["alg"] = alg, ["kid"] = _kid };
        var payload = new JsonObject
        {
            ["aud"] = J.Strings(audiences.Length > 0 ? audiences : _audiences),
            ["exp"] = exp.ToUnixTimeSeconds(), ["iat"] = now.ToUnixTimeSeconds(), ["iss"] = _issuers[0],
            ["kubernetes.io"] = new JsonObject
            {
                ["namespace"] = ns, ["serviceaccount"] = new JsonObject { ["name"] = name, ["uid"] = uid },
            },
            ["nbf"] = now.ToUnixTimeSeconds(), ["sub"] = $"system:serviceaccount:{ns}:{name}",
        };
        var signingInput = B64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var data = Encoding.ASCII.GetBytes(signingInput);
        byte[] sig = _signing switch
        {
            RSA r => r.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa e => e.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            _ => throw new InvalidOperationException(),
        };
        return (signingInput + "." + B64Url(sig), exp.UtcDateTime);
    }

    public const string LegacyIssuer = "kubernetes/serviceaccount";
    const string LegacyClaim = "kubernetes.io/serviceaccount/";

    /// <summary>A legacy service account token as the controller-manager's token controller writes into a kubernetes.io/service-account-token Secret.</summary>
    public static string IssueLegacy(AsymmetricAlgorithm key, string ns, string serviceAccount, string uid, string secretName)
    {
        var header = new JsonObject { ["alg"] = key is RSA ? "RS256" : "ES256", ["kid"] = KeyId(key) };
        var payload = new JsonObject
        {
            ["iss"] = LegacyIssuer,
            [LegacyClaim + "namespace"] = ns,
            [LegacyClaim + "secret.name"] = secretName,
            [LegacyClaim + "service-account.name"] = serviceAccount,
            [LegacyClaim + "service-account.uid"] = uid,
            ["sub"] = $"system:serviceaccount:{ns}:{serviceAccount}",
        };
        return Sign(key, header, payload);
    }

    static string Sign(AsymmetricAlgorithm key, JsonObject header, JsonObject payload)
    {
        var signingInput = B64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var data = Encoding.ASCII.GetBytes(signingInput);
        byte[] sig = key switch
        {
            RSA r => r.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa e => e.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            _ => throw new InvalidOperationException(),
        };
        return signingInput + "." + B64Url(sig);
    }

    bool Verified(string[] parts, string? alg)
    {
        var data = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        byte[] sig;
        try { sig = FromB64Url(parts[2]); } catch (FormatException) { return false; }
        return _verify.Any(k => k switch
        {
            RSA r when alg == "RS256" => r.VerifyData(data, sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa e when alg == "ES256" => e.VerifyData(data, sig, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            _ => false,
        });
    }

    async Task<(UserInfo?, string)> AuthenticateLegacy(string token, string[] parts, JsonObject header, JsonObject payload, CancellationToken ct)
    {
        if (!Verified(parts, header.Str("alg"))) return (null, "[invalid bearer token, square/go-jose: error in cryptographic primitive]");
        var ns = payload.Str(LegacyClaim + "namespace") ?? "";
        var name = payload.Str(LegacyClaim + "service-account.name") ?? "";
        var uid = payload.Str(LegacyClaim + "service-account.uid") ?? "";
        var secretName = payload.Str(LegacyClaim + "secret.name") ?? "";
        if (ns.Length == 0 || name.Length == 0 || secretName.Length == 0) return (null, "invalid bearer token");
        var secret = await _store.Get(Resources.Get("", "secrets").Key(ns, secretName), ct);
        var stored = secret?.Value.Str("data", "token");
        if (secret is null || secret.Value.Str("metadata", "deletionTimestamp") is not null)
            return (null, $"[invalid bearer token, secrets \"{secretName}\" not found]");
        if (stored is null || Encoding.UTF8.GetString(Convert.FromBase64String(stored)) != token)
            return (null, "[invalid bearer token, Token does not match server's copy]");
        var sa = await _store.Get(Resources.Get("", "serviceaccounts").Key(ns, name), ct);
        if (sa is null || (uid.Length > 0 && sa.Value.Str("metadata", "uid") != uid))
            return (null, "[invalid bearer token, service account token has been invalidated]");
        return (new UserInfo($"system:serviceaccount:{ns}:{name}",
            ["system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"], sa.Value.Str("metadata", "uid") ?? ""), "");
    }

    public async Task<(UserInfo?, string)> Authenticate(string token, CancellationToken ct)
    {
        var parts = token.Split('.');
        JsonObject header, payload;
        try
        {
            header = JsonNode.Parse(FromB64Url(parts[0])) as JsonObject ?? throw new FormatException();
            payload = JsonNode.Parse(FromB64Url(parts[1])) as JsonObject ?? throw new FormatException();
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException) { return (null, "invalid bearer token"); }
        var iss = payload.Str("iss");
        if (iss == LegacyIssuer) return await AuthenticateLegacy(token, parts, header, payload, ct);
        if (iss is null || !_issuers.Contains(iss)) return (null, "invalid bearer token");
        var data = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        var sig = FromB64Url(parts[2]);
        var alg = header.Str("alg");
        bool ok = _verify.Any(k => k switch
        {
            RSA r when alg == "RS256" => r.VerifyData(data, sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa e when alg == "ES256" => e.VerifyData(data, sig, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            _ => false,
        });
        if (!ok) return (null, "[invalid bearer token, square/go-jose: error in cryptographic primitive]");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if ((payload.Long("exp") ?? 0) < now) return (null, "[invalid bearer token, service account token has expired]");
        if ((payload.Long("nbf") ?? 0) > now + 60) return (null, "invalid bearer token: not yet valid");
        var aud = payload["aud"] is JsonArray a ? a.StringItems().ToArray() : payload.Str("aud") is { } s1 ? [s1] : [];
        if (!aud.Any(_audiences.Contains)) return (null, "[invalid bearer token, token audiences don't match]");
        var ns = payload.Str("kubernetes.io", "namespace") ?? "";
        var name = payload.Str("kubernetes.io", "serviceaccount", "name") ?? "";
        var uid = payload.Str("kubernetes.io", "serviceaccount", "uid") ?? "";
        var sa = await _store.Get(Resources.Get("", "serviceaccounts").Key(ns, name), ct);
        if (sa is null || sa.Value.Str("metadata", "uid") != uid)
            return (null, "[invalid bearer token, service account token has been invalidated]");
        return (new UserInfo($"system:serviceaccount:{ns}:{name}",
            ["system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"], uid), "");
    }
}
