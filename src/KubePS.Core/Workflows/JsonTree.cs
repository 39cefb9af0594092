using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubePS.Core.Workflows;

/// <summary>
/// The two JSON operations the cluster appliers need: "does the live object already hold everything this rendered
/// object sets" (so that applying it would change nothing) and RFC 7386 JSON merge patch.
/// </summary>
static class JsonTree
{
    /// <summary>
    /// True when every field <paramref name="wanted"/> sets is present in <paramref name="current"/> with the same value.
    /// Objects compare key by key (the server may hold more keys: defaults, status, other managers' fields); lists must
    /// have the same length and each element must cover its counterpart (the API server defaults fields inside list
    /// elements, e.g. a container's terminationMessagePath); scalars compare by kind and value.
    /// </summary>
    public static bool Covers(JsonNode? current, JsonNode? wanted)
    {
        switch (wanted)
        {
            case null:
                return current is null;
            case JsonObject w:
                if (current is not JsonObject c) return false;
                foreach (var (key, value) in w)
                {
                    if (!c.TryGetPropertyValue(key, out var cv))
                    {
                        // An empty map or list the server omits is the same as an absent one.
                        if (value is JsonObject { Count: 0 } or JsonArray { Count: 0 }) continue;
                        return false;
                    }
                    if (!Covers(cv, value)) return false;
                }
                return true;
            case JsonArray wa:
                if (current is not JsonArray ca || ca.Count != wa.Count) return false;
                for (int i = 0; i < wa.Count; i++)
                    if (!Covers(ca[i], wa[i])) return false;
                return true;
            default:
                return current is JsonValue && ScalarEquals(current, wanted);
        }
    }

    static bool ScalarEquals(JsonNode a, JsonNode b)
    {
        var ka = a.GetValueKind();
        var kb = b.GetValueKind();
        if (ka != kb) return false;
        return ka switch
        {
            JsonValueKind.String => (string?)a == (string?)b,
            JsonValueKind.Number => decimal.TryParse(a.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var da)
                                    && decimal.TryParse(b.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var db)
                                    ? da == db : a.ToJsonString() == b.ToJsonString(),
            _ => a.ToJsonString() == b.ToJsonString(),
        };
    }

    /// <summary>
    /// Applies an RFC 7386 JSON merge patch to a copy of <paramref name="target"/> (null: an empty object): objects merge
    /// recursively, null removes a key, anything else (lists included) replaces.
    /// </summary>
    public static JsonObject MergePatch(JsonObject? target, JsonObject patch)
    {
        var result = (JsonObject?)target?.DeepClone() ?? new JsonObject();
        Merge(result, patch);
        return result;
    }

    static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null) { target.Remove(key); continue; }
            if (value is JsonObject po)
            {
                if (target[key] is not JsonObject to)
                {
                    to = new JsonObject();
                    target[key] = to;
                }
                Merge(to, po);
                continue;
            }
            target[key] = value.DeepClone();
        }
    }
}
