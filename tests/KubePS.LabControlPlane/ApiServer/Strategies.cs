using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>Per-type defaulting and validation, the parts of the real registry strategies the lab needs.</summary>
public sealed class Strategies(EtcdStore store, string serviceCidr)
{
    static readonly Regex DnsSubdomain = new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.Compiled);
    static readonly Regex DnsLabel = new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.Compiled);

    public static void ValidateName(ResourceDef def, string name)
    {
        // RBAC objects and CSRs allow any path segment name; namespaces must be DNS labels; most others DNS subdomains.
        if (def.Group == "rbac.authorization.k8s.io" || def.Plural == "certificatesigningrequests")
        {
            if (name is "." or ".." || name.Contains('/') || name.Contains('%'))
                throw ApiError.Invalid(def, name, ("metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": may not contain '/' or '%'"));
            return;
        }
        var re = def.Plural is "namespaces" or "services" ? DnsLabel : DnsSubdomain;
        if (name.Length > 253 || !re.IsMatch(name))
            throw ApiError.Invalid(def, name, ("metadata.name", "FieldValueInvalid",
                $"Invalid value: \"{name}\": a lowercase RFC 1123 {(re == DnsLabel ? "label" : "subdomain")} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"));
    }

    public async Task PrepareForCreate(ResourceDef def, JsonObject obj, UserInfo user, CancellationToken ct)
    {
        var name = obj.Str("metadata", "name") ?? "";
        switch (def.Plural)
        {
            case "namespaces":
                obj.Ensure("metadata", "labels")["kubernetes.io/metadata.name"] = name;
                obj.Ensure("spec")["finalizers"] ??= new JsonArray("kubernetes");
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                break;
            case "pods":
                PodDefaults(def, obj, name);
                break;
            case "secrets":
                obj["type"] ??= "Opaque";
                FoldStringData(def, obj, name);
                break;
            case "services":
                await ServiceDefaults(def, obj, name, ct);
                break;
            case "certificatesigningrequests":
                CsrCreate(def, obj, name, user);
                break;
            case "nodes":
                obj.Ensure("spec");
                break;
            case "deployments" or "daemonsets" or "replicasets":
                if (obj["spec"] is not JsonObject) throw ApiError.Invalid(def, name, ("spec", "FieldValueRequired", "Required value"));
                obj["status"] = new JsonObject();
                break;
            case "poddisruptionbudgets":
                obj["status"] = new JsonObject { ["disruptionsAllowed"] = 0, ["currentHealthy"] = 0, ["desiredHealthy"] = 0, ["expectedPods"] = 0 };
                break;
            case "rolebindings" or "clusterrolebindings":
                if (obj["roleRef"] is not JsonObject)
                    throw ApiError.Invalid(def, name, ("roleRef", "FieldValueRequired", "Required value"));
                break;
        }
    }

    public void PrepareForUpdate(ResourceDef def, JsonObject old, JsonObject next, string subresource, UserInfo user)
    {
        var name = old.Str("metadata", "name") ?? "";
        switch (def.Plural)
        {
            case "secrets":
                FoldStringData(def, next, name);
                if (old.Str("type") != next.Str("type"))
                    throw ApiError.Invalid(def, name, ("type", "FieldValueInvalid", "Invalid value: field is immutable"));
                if (old.Bool("immutable") == true && !J.Same(old["data"], next["data"]))
                    throw ApiError.Invalid(def, name, ("data", "Forbidden", "Forbidden: field is immutable when `immutable` is set"));
                break;
            case "configmaps":
                if (old.Bool("immutable") == true && (!J.Same(old["data"], next["data"]) || !J.Same(old["binaryData"], next["binaryData"])))
                    throw ApiError.Invalid(def, name, ("data", "Forbidden", "Forbidden: field is immutable when `immutable` is set"));
                break;
            case "pods" when subresource.Length == 0:
                if (old.Str("spec", "nodeName") is { Length: > 0 } bound && next.Str("spec", "nodeName") != bound)
                    throw ApiError.Invalid(def, name, ("spec.nodeName", "Forbidden", "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds`"));
                if (old.Str("spec", "nodeName") is null && next.Str("spec", "nodeName") is { Length: > 0 })
                    throw ApiError.Invalid(def, name, ("spec.nodeName", "Forbidden", "Forbidden: pods are bound through the binding subresource"));
                break;
            case "services":
                if (old.Str("spec", "clusterIP") is { } ip && next.Str("spec", "clusterIP") is null or "")
                {
                    next.Ensure("spec")["clusterIP"] = ip;
                    next.Ensure("spec")["clusterIPs"] = old.Obj("spec")["clusterIPs"]?.DeepClone();
                }
                else if (old.Str("spec", "clusterIP") != next.Str("spec", "clusterIP"))
                    throw ApiError.Invalid(def, name, ("spec.clusterIP", "FieldValueInvalid", "Invalid value: field is immutable"));
                break;
            case "certificatesigningrequests":
                if (subresource.Length == 0) next["spec"] = old["spec"]?.DeepClone();
                var conds = next.Arr("status", "conditions");
                if (conds.Any(c => c.Str("type") == "Approved") && conds.Any(c => c.Str("type") == "Denied"))
                    throw ApiError.Invalid(def, name, ("status.conditions", "FieldValueInvalid", "Invalid value: Approved and Denied conditions are mutually exclusive"));
                if (old.Arr("status", "conditions").Any(c => c.Str("type") is "Approved" or "Denied")
                    && !old.Arr("status", "conditions").Where(c => c.Str("type") is "Approved" or "Denied").All(c => conds.Any(n => n.Str("type") == c.Str("type"))))
                    throw ApiError.Invalid(def, name, ("status.conditions", "Forbidden", "Forbidden: updates may not remove a condition of type \"Approved\" or \"Denied\""));
                if (old.Str("status", "certificate") is { Length: > 0 } oc && next.Str("status", "certificate") != oc)
                    throw ApiError.Invalid(def, name, ("status.certificate", "Forbidden", "Forbidden: updates may not modify existing certificate content"));
                if (next.Str("status", "certificate") is { Length: > 0 } nc && !conds.Any(c => c.Str("type") == "Approved"))
                    throw ApiError.Invalid(def, name, ("status.certificate", "Forbidden", "Forbidden: certificate may only be set if the Approved condition is present"));
                break;
            case "rolebindings" or "clusterrolebindings":
                if (!J.Same(old["roleRef"], next["roleRef"]))
                    throw ApiError.Invalid(def, name, ("roleRef", "FieldValueInvalid", "Invalid value: cannot change roleRef"));
                break;
            case "namespaces" when subresource.Length == 0:
                next["status"] = old["status"]?.DeepClone();
                break;
        }
    }

    public Task BeforeDelete(ResourceDef def, JsonObject cur, WriteContext w, CancellationToken ct)
    {
        if (def.Plural == "namespaces" && cur.Str("metadata", "name") is "default" or "kube-system" or "kube-public")
            throw new ApiError(403, "Forbidden", $"namespaces \"{cur.Str("metadata", "name")}\" is forbidden: this namespace may not be deleted");
        return Task.CompletedTask;
    }

    static void FoldStringData(ResourceDef def, JsonObject obj, string name)
    {
        if (obj["stringData"] is JsonObject sd)
        {
            var data = obj.Ensure("data");
            foreach (var (k, v) in sd) data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes(v.Str() ?? ""));
            obj.Remove("stringData");
        }
        foreach (var (k, v) in obj.Obj("data"))
        {
            try { Convert.FromBase64String(v.Str() ?? ""); }
            catch (FormatException) { throw ApiError.Invalid(def, name, ($"data[{k}]", "FieldValueInvalid", "Invalid value: not base64")); }
        }
        if (obj.Str("type") == "bootstrap.kubernetes.io/token" && !name.StartsWith("bootstrap-token-", StringComparison.Ordinal))
        { /* accepted as the real server does; only bootstrap-token-<id> names are used by the authenticator */ }
    }

    static void PodDefaults(ResourceDef def, JsonObject obj, string name)
    {
        var spec = obj["spec"] as JsonObject ?? throw ApiError.Invalid(def, name, ("spec", "FieldValueRequired", "Required value"));
        var containers = spec.Arr("containers");
        if (containers.Count == 0) throw ApiError.Invalid(def, name, ("spec.containers", "FieldValueRequired", "Required value"));
        foreach (var c in containers.OfType<JsonObject>())
        {
            if (c.Str("name") is null or "") throw ApiError.Invalid(def, name, ("spec.containers[0].name", "FieldValueRequired", "Required value"));
            if (c.Str("image") is null or "") throw ApiError.Invalid(def, name, ("spec.containers[0].image", "FieldValueRequired", "Required value"));
            c["imagePullPolicy"] ??= c.Str("image")!.EndsWith(":latest") || !c.Str("image")!.Contains(':') ? "Always" : "IfNotPresent";
            c["terminationMessagePath"] ??= "/dev/termination-log";
            c["terminationMessagePolicy"] ??= "File";
        }
        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["schedulerName"] ??= "default-scheduler";
        spec["securityContext"] ??= new JsonObject();
        spec["enableServiceLinks"] ??= true;
        spec["preemptionPolicy"] ??= "PreemptLowerPriority";
        spec["priority"] ??= spec.Str("priorityClassName") switch
        {
            "system-node-critical" => 2000001000,
            "system-cluster-critical" => 2000000000,
            _ => 0,
        };
        // DefaultTolerationSeconds admission.
        var tol = spec["tolerations"] as JsonArray ?? new JsonArray();
        foreach (var key in new[] { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable" })
            if (!tol.Any(t => t.Str("key") == key && t.Str("effect") is "NoExecute" or null) && !tol.Any(t => t.Str("operator") == "Exists" && t.Str("key") is null))
                tol.Add(new JsonObject { ["key"] = key, ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 300 });
        spec["tolerations"] = tol;
        var status = obj["status"] as JsonObject ?? new JsonObject();
        status["phase"] ??= "Pending";
        status["qosClass"] ??= "BestEffort";
        obj["status"] = status;
    }

    async Task ServiceDefaults(ResourceDef def, JsonObject obj, string name, CancellationToken ct)
    {
        var spec = obj.Ensure("spec");
        spec["type"] ??= "ClusterIP";
        spec["sessionAffinity"] ??= "None";
        spec["internalTrafficPolicy"] ??= "Cluster";
        foreach (var p in spec.Arr("ports").OfType<JsonObject>())
        {
            p["protocol"] ??= "TCP";
            p["targetPort"] ??= p["port"]?.DeepClone();
        }
        var requested = spec.Str("clusterIP");
        if (requested == "None") { spec["clusterIPs"] = new JsonArray("None"); }
        else
        {
            var (net, bits) = ParseCidr(serviceCidr);
            var used = (await store.List(Resources.Get("", "services").EtcdPrefix, ct)).items
                .Select(i => i.Value.Str("spec", "clusterIP")).OfType<string>().ToHashSet();
            if (requested is { Length: > 0 })
            {
                if (!IPAddress.TryParse(requested, out var ip) || !InCidr(ip, net, bits))
                    throw ApiError.Invalid(def, name, ("spec.clusterIPs", "FieldValueInvalid",
                        $"Invalid value: []string{{\"{requested}\"}}: failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range. The range of valid IPs is {serviceCidr}"));
                if (used.Contains(requested))
                    throw ApiError.Invalid(def, name, ("spec.clusterIPs", "FieldValueInvalid",
                        $"Invalid value: []string{{\"{requested}\"}}: failed to allocate IP {requested}: provided IP is already allocated"));
            }
            else
            {
                // Dynamic allocation from the upper half, leaving the lower band for static IPs (as since 1.26).
                uint size = bits >= 32 ? 1u : 1u << (32 - bits);
                uint start = size / 2;
                string? pick = null;
                for (uint off = Math.Max(start, 2); off < size - 1 && pick is null; off++)
                {
                    var cand = Add(net, off).ToString();
                    if (!used.Contains(cand)) pick = cand;
                }
                requested = pick ?? throw new ApiError(500, "InternalError", "Internal error occurred: failed to allocate a serviceIP: range is full");
                spec["clusterIP"] = requested;
            }
            spec["clusterIPs"] = new JsonArray(requested);
            spec["ipFamilies"] ??= new JsonArray("IPv4");
            spec["ipFamilyPolicy"] ??= "SingleStack";
        }
        obj["status"] ??= new JsonObject { ["loadBalancer"] = new JsonObject() };
    }

    public static (IPAddress net, int bits) ParseCidr(string cidr)
    {
        var first = cidr.Split(',')[0].Trim();
        var parts = first.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var ip) || !int.TryParse(parts[1], out var bits)
            || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            throw new LabException($"--service-cluster-ip-range={cidr}: expected an IPv4 CIDR like 10.96.0.0/12");
        return (ip, bits);
    }

    static uint ToUint(IPAddress ip) { var b = ip.GetAddressBytes(); return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]); }
    public static IPAddress Add(IPAddress ip, uint off)
    {
        var v = ToUint(ip) + off;
        return new IPAddress(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });
    }
    static bool InCidr(IPAddress ip, IPAddress net, int bits)
    {
        if (ip.AddressFamily != net.AddressFamily) return false;
        uint mask = bits == 0 ? 0 : uint.MaxValue << (32 - bits);
        return (ToUint(ip) & mask) == (ToUint(net) & mask);
    }

    static readonly string[] KnownUsages =
    [
        "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
        "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
        "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
        "microsoft sgc", "netscape sgc",
    ];

    static void CsrCreate(ResourceDef def, JsonObject obj, string name, UserInfo user)
    {
        var spec = obj["spec"] as JsonObject ?? throw ApiError.Invalid(def, name, ("spec", "FieldValueRequired", "Required value"));
        // The requester's identity is the authenticated user, whatever the client wrote.
        spec["username"] = user.Name;
        if (user.Uid.Length > 0) spec["uid"] = user.Uid; else spec.Remove("uid");
        spec["groups"] = J.Strings(user.Groups);
        if (user.Extra is { Count: > 0 })
        {
            var e = new JsonObject();
            foreach (var (k, v) in user.Extra) e[k] = J.Strings(v);
            spec["extra"] = e;
        }
        else spec.Remove("extra");
        var req = spec.Str("request");
        if (req is null) throw ApiError.Invalid(def, name, ("spec.request", "FieldValueRequired", "Required value"));
        try
        {
            var pem = Encoding.UTF8.GetString(Convert.FromBase64String(req));
            CertificateRequest.LoadSigningRequestPem(pem, System.Security.Cryptography.HashAlgorithmName.SHA256,
                CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw ApiError.Invalid(def, name, ("spec.request", "FieldValueInvalid", "Invalid value: []byte{...}: PEM block type must be CERTIFICATE REQUEST"));
        }
        if (spec.Str("signerName") is null or "")
            throw ApiError.Invalid(def, name, ("spec.signerName", "FieldValueRequired", "Required value"));
        var usages = spec.Arr("usages").StringItems().ToList();
        if (usages.Count == 0) throw ApiError.Invalid(def, name, ("spec.usages", "FieldValueRequired", "Required value"));
        foreach (var u in usages)
            if (!KnownUsages.Contains(u))
                throw ApiError.Invalid(def, name, ("spec.usages", "FieldValueNotSupported", $"Unsupported value: \"{u}\""));
        if (spec.Long("expirationSeconds") is { } es && es < 600)
            throw ApiError.Invalid(def, name, ("spec.expirationSeconds", "FieldValueInvalid", $"Invalid value: {es}: may not specify a duration less than 600 seconds (10 minutes)"));
        obj["status"] = new JsonObject();
    }
}
