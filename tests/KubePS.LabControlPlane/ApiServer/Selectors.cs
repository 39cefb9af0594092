using System.Text.Json;
using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>Label and field selectors in the syntax of the labelSelector/fieldSelector query parameters.</summary>
public static class Selectors
{
    public delegate bool Predicate(JsonObject obj);

    static List<string> SplitTop(string s)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '(') depth++;
            else if (s[i] == ')') depth--;
            else if (s[i] == ',' && depth == 0) { parts.Add(s[start..i]); start = i + 1; }
        }
        parts.Add(s[start..]);
        return parts.Select(p => p.Trim()).Where(p => p.Length > 0).ToList();
    }

    public static Predicate Labels(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector)) return _ => true;
        var reqs = new List<Func<JsonObject, bool>>();
        foreach (var part in SplitTop(selector))
        {
            var m = System.Text.RegularExpressions.Regex.Match(part, @"^(?<k>[^\s!=]+)\s+(?<op>in|notin)\s*\((?<v>[^)]*)\)$");
            if (m.Success)
            {
                var key = m.Groups["k"].Value;
                var vals = m.Groups["v"].Value.Split(',').Select(v => v.Trim()).ToHashSet();
                bool notin = m.Groups["op"].Value == "notin";
                reqs.Add(l => l.TryGetPropertyValue(key, out var v) ? vals.Contains(v.Str() ?? "") != notin : notin);
                continue;
            }
            string k, val;
            if (part.Contains("!="))
            {
                var i = part.IndexOf("!=", StringComparison.Ordinal);
                k = part[..i].Trim(); val = part[(i + 2)..].Trim();
                reqs.Add(l => !(l.TryGetPropertyValue(k, out var v) && v.Str() == val));
            }
            else if (part.Contains('='))
            {
                var i = part.IndexOf('=');
                k = part[..i].Trim(); val = part[(i + 1)..].TrimStart('=').Trim();
                reqs.Add(l => l.TryGetPropertyValue(k, out var v) && (v.Str() ?? "") == val);
            }
            else if (part.StartsWith('!'))
            {
                k = part[1..].Trim();
                reqs.Add(l => !l.ContainsKey(k));
            }
            else
            {
                if (part.Contains(' ') || part.Contains('(')) throw ApiError.BadRequest($"unable to parse requirement: \"{part}\"");
                k = part;
                reqs.Add(l => l.ContainsKey(k));
            }
        }
        return o => { var l = o.Obj("metadata", "labels"); return reqs.All(r => r(l)); };
    }

    public static Predicate Fields(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector)) return _ => true;
        var reqs = new List<Func<JsonObject, bool>>();
        foreach (var part in SplitTop(selector))
        {
            bool neg = part.Contains("!=");
            var i = neg ? part.IndexOf("!=", StringComparison.Ordinal) : part.IndexOf('=');
            if (i <= 0) throw ApiError.BadRequest($"invalid selector: '{selector}'; can't understand '{part}'");
            var key = part[..i].Trim();
            var val = part[(i + (neg ? 2 : 1))..].TrimStart('=').Trim();
            var path = key.Split('.');
            reqs.Add(o => (FieldValue(o, path) == val) != neg);
        }
        return o => reqs.All(r => r(o));
    }

    static string FieldValue(JsonObject o, string[] path)
    {
        var n = J.At(o, path);
        return n switch
        {
            null => "",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v => v.ToJsonString(),
            _ => n.ToJsonString(),
        };
    }

    /// <summary>A metav1.LabelSelector object (matchLabels, matchExpressions); null or empty selects everything.</summary>
    public static Predicate FromObject(JsonNode? sel, bool emptyMatchesNothing = false)
    {
        if (sel is not JsonObject s || (s.Obj("matchLabels").Count == 0 && s.Arr("matchExpressions").Count == 0))
            return _ => !emptyMatchesNothing;
        var ml = s.Obj("matchLabels").ToDictionary(kv => kv.Key, kv => kv.Value.Str() ?? "");
        var exprs = s.Arr("matchExpressions").OfType<JsonObject>().ToList();
        return o =>
        {
            var l = o.Obj("metadata", "labels");
            foreach (var (k, v) in ml) if (l.Str(k) != v) return false;
            foreach (var e in exprs)
            {
                var k = e.Str("key") ?? "";
                var vals = e.Arr("values").StringItems().ToHashSet();
                var has = l.ContainsKey(k);
                var ok = e.Str("operator") switch
                {
                    "In" => has && vals.Contains(l.Str(k) ?? ""),
                    "NotIn" => !has || !vals.Contains(l.Str(k) ?? ""),
                    "Exists" => has,
                    "DoesNotExist" => !has,
                    _ => false,
                };
                if (!ok) return false;
            }
            return true;
        };
    }
}
