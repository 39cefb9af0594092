using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubePS.LabControlPlane.Common;

public static class J
{
    public static readonly JsonSerializerOptions Compact = new()
    {
        WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>JSON text without HTML-safe escaping of quotes and angle brackets (as Go writes it).</summary>
    public static string Text(this JsonNode n) => n.ToJsonString(Compact);

    public static JsonNode? Clone(this JsonNode? n) => n?.DeepClone();

    public static bool Same(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    public static string? Str(this JsonNode? n, params string[] path)
    {
        var x = At(n, path);
        return x is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }

    public static long? Long(this JsonNode? n, params string[] path)
    {
        var x = At(n, path);
        if (x is not JsonValue v) return null;
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<double>(out var d)) return (long)d;
        if (v.TryGetValue<string>(out var s) && long.TryParse(s, out l)) return l;
        if (v.GetValueKind() == JsonValueKind.Number) return (long)v.GetValue<double>();
        return null;
    }

    public static bool? Bool(this JsonNode? n, params string[] path)
    {
        var x = At(n, path);
        return x is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;
    }

    public static JsonNode? At(JsonNode? n, params string[] path)
    {
        foreach (var p in path)
        {
            if (n is JsonObject o && o.TryGetPropertyValue(p, out var c)) n = c;
            else return null;
        }
        return n;
    }

    public static JsonObject Obj(this JsonNode? n, params string[] path) => At(n, path) as JsonObject ?? new JsonObject();

    public static JsonArray Arr(this JsonNode? n, params string[] path) => At(n, path) as JsonArray ?? new JsonArray();

    /// <summary>The object at <paramref name="path"/>, created (and attached) where missing.</summary>
    public static JsonObject Ensure(this JsonObject o, params string[] path)
    {
        var cur = o;
        foreach (var p in path)
        {
            if (cur[p] is not JsonObject next) { next = new JsonObject(); cur[p] = next; }
            cur = next;
        }
        return cur;
    }

    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
    public static string NowMicro() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'");

    public static DateTime? Time(this JsonNode? n, params string[] path) =>
        Str(n, path) is { } s && DateTime.TryParse(s, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    public static JsonArray ToArray(IEnumerable<JsonNode?> items)
    {
        var a = new JsonArray();
        foreach (var i in items) a.Add(i?.Parent is null ? i : i.DeepClone());
        return a;
    }

    public static JsonArray Strings(IEnumerable<string> items) => ToArray(items.Select(s => (JsonNode?)JsonValue.Create(s)));

    public static IEnumerable<string> StringItems(this JsonNode? n) =>
        (n as JsonArray)?.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>() ?? [];
}
