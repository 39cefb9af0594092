using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>
/// Reads request bodies sent as application/vnd.kubernetes.protobuf (kubectl 1.32's typed clients do: create
/// namespace/configmap/..., drain's evictions, delete options) into the JSON form the rest of the server works on.
/// The field table (ProtoSchema.txt) is the Kubernetes API wire contract, extracted by tools/extract-proto-schema.py.
/// Responses are always JSON, which every client accepts.
/// </summary>
public static class Protobuf
{
    sealed record Field(int Number, string Json, string Type, bool Repeated, string TypeName);

    static readonly Lazy<(Dictionary<string, Dictionary<int, Field>> messages, HashSet<string> mapEntries)> Schema = new(Load);

    static (Dictionary<string, Dictionary<int, Field>>, HashSet<string>) Load()
    {
        var messages = new Dictionary<string, Dictionary<int, Field>>(StringComparer.Ordinal);
        var maps = new HashSet<string>(StringComparer.Ordinal);
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("ProtoSchema.txt")
            ?? throw new InvalidOperationException("ProtoSchema.txt is not embedded");
        using var r = new StreamReader(s);
        while (r.ReadLine() is { } line)
        {
            if (line.StartsWith('#') || line.Length == 0) continue;
            var p = line.Split(' ');
            if (p[1] == "map-entry") { maps.Add(p[0]); continue; }
            if (!messages.TryGetValue(p[0], out var fields)) messages[p[0]] = fields = [];
            fields[int.Parse(p[1])] = new Field(int.Parse(p[1]), p[2], p[3], p[4] == "repeated", p.Length > 5 ? p[5] : "");
        }
        return (messages, maps);
    }

    const string Meta = "k8s.io.apimachinery.pkg.apis.meta.v1";
    static readonly HashSet<string> MetaKinds = ["DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "GetOptions", "ListOptions", "Status"];
    static readonly HashSet<string> Inline =
    [
        "k8s.io.api.core.v1.LocalObjectReference", "k8s.io.api.core.v1.VolumeSource", "k8s.io.api.core.v1.PersistentVolumeSource",
        "k8s.io.api.core.v1.EphemeralContainerCommon", "k8s.io.api.core.v1.ProbeHandler",
    ];

    static string Package(string apiVersion, string kind)
    {
        if (MetaKinds.Contains(kind)) return Meta;
        var slash = apiVersion.IndexOf('/');
        var group = slash < 0 ? "" : apiVersion[..slash];
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        var g = group switch
        {
            "" => "core",
            "rbac.authorization.k8s.io" => "rbac",
            "certificates.k8s.io" => "certificates",
            "coordination.k8s.io" => "coordination",
            "authorization.k8s.io" => "authorization",
            "authentication.k8s.io" => "authentication",
            _ => group,
        };
        return $"k8s.io.api.{g}.{version}";
    }

    /// <summary>Decodes a "k8s\0" + runtime.Unknown envelope into a JSON object with apiVersion and kind.</summary>
    public static JsonObject Decode(byte[] body)
    {
        if (body.Length < 4 || body[0] != 'k' || body[1] != '8' || body[2] != 's' || body[3] != 0)
            throw ApiError.BadRequest("protobuf body without the k8s\\0 prefix");
        string apiVersion = "", kind = "";
        byte[] raw = [];
        foreach (var (num, wt, val, bytes) in Wire(body.AsSpan(4).ToArray()))
        {
            if (num == 1 && wt == 2)
                foreach (var (n2, _, _, b2) in Wire(bytes))
                {
                    if (n2 == 1) apiVersion = Encoding.UTF8.GetString(b2);
                    else if (n2 == 2) kind = Encoding.UTF8.GetString(b2);
                }
            else if (num == 2 && wt == 2) raw = bytes;
        }
        var type = $"{Package(apiVersion, kind)}.{kind}";
        if (!Schema.Value.messages.ContainsKey(type))
            throw new ApiError(415, "UnsupportedMediaType", $"the lab API server cannot read {kind} ({apiVersion}) as protobuf; send JSON");
        var obj = Message(type, raw);
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        return obj;
    }

    static IEnumerable<(int num, int wt, ulong val, byte[] bytes)> Wire(byte[] b)
    {
        int i = 0;
        while (i < b.Length)
        {
            var key = Varint(b, ref i);
            int num = (int)(key >> 3), wt = (int)(key & 7);
            switch (wt)
            {
                case 0: yield return (num, wt, Varint(b, ref i), []); break;
                case 1: yield return (num, wt, BitConverter.ToUInt64(b, i), []); i += 8; break;
                case 5: yield return (num, wt, BitConverter.ToUInt32(b, i), []); i += 4; break;
                case 2:
                    var n = (int)Varint(b, ref i);
                    yield return (num, wt, 0, b[i..(i + n)]);
                    i += n;
                    break;
                default: throw ApiError.BadRequest($"protobuf: unsupported wire type {wt}");
            }
        }
    }

    static ulong Varint(byte[] b, ref int i)
    {
        ulong v = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (i >= b.Length) throw ApiError.BadRequest("protobuf: truncated varint");
            var c = b[i++];
            v |= (ulong)(c & 0x7f) << shift;
            if (c < 0x80) return v;
        }
    }

    static JsonObject Message(string type, byte[] data)
    {
        var (messages, maps) = Schema.Value;
        var fields = messages.GetValueOrDefault(type) ?? [];
        var o = new JsonObject();
        foreach (var (num, wt, val, bytes) in Wire(data))
        {
            if (!fields.TryGetValue(num, out var f)) continue;
            if (f.Repeated && wt == 2 && f.Type is not ("string" or "bytes" or "message"))
            {
                // packed scalars
                var arr = o[f.Json] as JsonArray ?? new JsonArray();
                int j = 0;
                while (j < bytes.Length) arr.Add(Scalar(f.Type, Varint(bytes, ref j), []));
                o[f.Json] = arr;
                continue;
            }
            JsonNode? value;
            if (f.Type == "message")
            {
                if (maps.Contains(f.TypeName))
                {
                    var entry = Message(f.TypeName, bytes);
                    var map = o[f.Json] as JsonObject ?? new JsonObject();
                    map[entry["key"]?.ToString() ?? ""] = entry["value"]?.DeepClone();
                    o[f.Json] = map;
                    continue;
                }
                value = Special(f.TypeName, bytes);
                if (value is null) continue;
                if (Inline.Contains(f.TypeName) && value is JsonObject)
                {
                    foreach (var (k, v) in (JsonObject)value) o[k] = v?.DeepClone();
                    continue;
                }
            }
            else value = Scalar(f.Type, val, bytes);
            if (f.Repeated)
            {
                var arr = o[f.Json] as JsonArray ?? new JsonArray();
                arr.Add(value);
                o[f.Json] = arr;
            }
            else o[f.Json] = value;
        }
        // Go writes empty strings for unset value fields; JSON would have omitted them.
        foreach (var k in o.Where(kv => kv.Value is JsonValue v && v.TryGetValue<string>(out var s) && s.Length == 0).Select(kv => kv.Key).ToList())
            o.Remove(k);
        return o;
    }

    static JsonNode? Special(string type, byte[] bytes)
    {
        switch (type)
        {
            case Meta + ".Time":
            case Meta + ".MicroTime":
            {
                long secs = 0, nanos = 0;
                foreach (var (n, _, v, _) in Wire(bytes)) { if (n == 1) secs = (long)v; else if (n == 2) nanos = (long)v; }
                if (secs == 0 && nanos == 0) return null;
                var t = DateTimeOffset.FromUnixTimeSeconds(secs).UtcDateTime.AddTicks(nanos / 100);
                return type.EndsWith("MicroTime") ? t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'") : t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
            }
            case Meta + ".Duration":
            {
                long ns = 0;
                foreach (var (n, _, v, _) in Wire(bytes)) if (n == 1) ns = (long)v;
                return TimeSpan.FromTicks(ns / 100).TotalSeconds + "s";
            }
            case "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
            {
                long kind = 0, iv = 0; string sv = "";
                foreach (var (n, _, v, b) in Wire(bytes))
                {
                    if (n == 1) kind = (long)v; else if (n == 2) iv = (int)(uint)v; else if (n == 3) sv = Encoding.UTF8.GetString(b);
                }
                return kind == 1 ? JsonValue.Create(sv) : JsonValue.Create(iv);
            }
            case "k8s.io.apimachinery.pkg.api.resource.Quantity":
                foreach (var (n, _, _, b) in Wire(bytes)) if (n == 1) return Encoding.UTF8.GetString(b);
                return "0";
            case "k8s.io.apimachinery.pkg.runtime.RawExtension":
            case Meta + ".FieldsV1":
                foreach (var (n, _, _, b) in Wire(bytes))
                    if (n == 1 && b.Length > 0) return JsonNode.Parse(b);
                return null;
            case var t when t.EndsWith(".ExtraValue"):
                var items = new JsonArray();
                foreach (var (n, _, _, b) in Wire(bytes)) if (n == 1) items.Add(Encoding.UTF8.GetString(b));
                return items;
            default:
                return Message(type, bytes);
        }
    }

    static JsonNode? Scalar(string type, ulong v, byte[] bytes) => type switch
    {
        "string" => JsonValue.Create(Encoding.UTF8.GetString(bytes)),
        "bytes" => JsonValue.Create(Convert.ToBase64String(bytes)),
        "bool" => JsonValue.Create(v != 0),
        "int32" => JsonValue.Create((int)(uint)v),
        "int64" => JsonValue.Create((long)v),
        "uint32" or "fixed32" => JsonValue.Create((uint)v),
        "uint64" or "fixed64" => JsonValue.Create(v),
        "sint32" or "sint64" => JsonValue.Create((long)(v >> 1) ^ -(long)(v & 1)),
        "double" => JsonValue.Create(BitConverter.Int64BitsToDouble((long)v)),
        "float" => JsonValue.Create(BitConverter.Int32BitsToSingle((int)v)),
        _ => JsonValue.Create((long)v),
    };
}
