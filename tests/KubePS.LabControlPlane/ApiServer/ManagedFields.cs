using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>
/// Field ownership for server-side apply, simplified: a manager owns a set of leaf paths (scalars, lists and empty
/// maps; lists are atomic). Apply conflicts when another manager owns a field the applier sets to a different value;
/// force takes ownership; fields an applier stops applying are removed unless someone else owns them. Non-apply
/// writes give the writer ownership of what it changed. Ownership is kept in metadata.managedFields (FieldsV1).
/// </summary>
public static class ManagedFields
{
    const char Sep = '\u001f';

    sealed class Entry
    {
        public string Manager = "";
        public string Operation = "Update";
        public string ApiVersion = "";
        public string Subresource = "";
        public string Time = "";
        public HashSet<string> Fields = [];
    }

    static readonly HashSet<string> MetaSkip =
        ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
         "deletionTimestamp", "deletionGracePeriodSeconds", "generateName"];

    /// <summary>Leaf paths of an object, limited to the spec side or the status side.</summary>
    public static HashSet<string> Leaves(JsonObject obj, bool statusOnly, bool excludeStatus)
    {
        var set = new HashSet<string>();
        foreach (var (k, v) in obj)
        {
            if (k is "apiVersion" or "kind") continue;
            if (statusOnly != (k == "status")) continue;
            if (k == "status" && excludeStatus) continue;
            if (k == "metadata" && v is JsonObject m)
            {
                foreach (var (mk, mv) in m)
                    if (!MetaSkip.Contains(mk)) Walk(mv, "metadata" + Sep + mk, set);
                continue;
            }
            Walk(v, k, set);
        }
        return set;
    }

    static void Walk(JsonNode? n, string path, HashSet<string> set)
    {
        if (n is JsonObject o && o.Count > 0) { foreach (var (k, v) in o) Walk(v, path + Sep + k, set); }
        else set.Add(path);
    }

    static string[] Segs(string path) => path.Split(Sep);
    public static string Render(string path) => "." + string.Join('.', Segs(path));

    static bool Overlaps(string a, string b) =>
        a == b || a.StartsWith(b + Sep, StringComparison.Ordinal) || b.StartsWith(a + Sep, StringComparison.Ordinal);

    static JsonNode? ValueAt(JsonObject o, string path) => J.At(o, Segs(path));

    static List<Entry> Read(JsonObject obj)
    {
        var list = new List<Entry>();
        foreach (var e in obj.Arr("metadata", "managedFields").OfType<JsonObject>())
        {
            var entry = new Entry
            {
                Manager = e.Str("manager") ?? "", Operation = e.Str("operation") ?? "Update", ApiVersion = e.Str("apiVersion") ?? "",
                Subresource = e.Str("subresource") ?? "", Time = e.Str("time") ?? "",
            };
            if (e["fieldsV1"] is JsonObject f) ReadFields(f, "", entry.Fields);
            list.Add(entry);
        }
        return list;
    }

    static void ReadFields(JsonObject f, string prefix, HashSet<string> into)
    {
        foreach (var (k, v) in f)
        {
            if (k == ".") continue;
            var seg = k.Length > 2 && k[1] == ':' ? k[2..] : k;
            var path = prefix.Length == 0 ? seg : prefix + Sep + seg;
            if (v is JsonObject c && c.Any(kv => kv.Key != ".")) ReadFields(c, path, into);
            else into.Add(path);
        }
    }

    static void Write(JsonObject obj, List<Entry> entries)
    {
        var arr = new JsonArray();
        foreach (var e in entries.Where(e => e.Fields.Count > 0))
        {
            var fields = new JsonObject();
            foreach (var p in e.Fields.OrderBy(p => p, StringComparer.Ordinal))
            {
                var cur = fields;
                var segs = Segs(p);
                foreach (var s in segs) cur = cur.Ensure("f:" + s);
            }
            var o = new JsonObject { ["manager"] = e.Manager, ["operation"] = e.Operation, ["apiVersion"] = e.ApiVersion, ["time"] = e.Time,
                ["fieldsType"] = "FieldsV1", ["fieldsV1"] = fields };
            if (e.Subresource.Length > 0) o["subresource"] = e.Subresource;
            arr.Add(o);
        }
        var meta = obj.Ensure("metadata");
        if (arr.Count > 0) meta["managedFields"] = arr; else meta.Remove("managedFields");
    }

    /// <summary>Records a non-apply write (create, update, patch) by <paramref name="manager"/>.</summary>
    public static void RecordUpdate(JsonObject? old, JsonObject updated, string manager, string apiVersion, string subresource, bool hasStatus)
    {
        var statusSide = subresource == "status";
        var entries = old is null ? [] : Read(old);
        var newLeaves = Leaves(updated, statusSide, excludeStatus: hasStatus && !statusSide);
        var oldLeaves = old is null ? [] : Leaves(old, statusSide, excludeStatus: hasStatus && !statusSide);
        var changed = newLeaves.Where(p => old is null || !oldLeaves.Contains(p) || !J.Same(ValueAt(old, p), ValueAt(updated, p))).ToHashSet();
        var removed = oldLeaves.Where(p => !newLeaves.Contains(p)).ToList();
        foreach (var e in entries)
        {
            e.Fields.RemoveWhere(f => changed.Any(c => Overlaps(c, f)) || removed.Any(r => Overlaps(r, f)));
        }
        if (changed.Count > 0)
        {
            var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Update" && e.Subresource == (statusSide ? "status" : ""));
            if (mine is null) { mine = new Entry { Manager = manager, Operation = "Update", Subresource = statusSide ? "status" : "" }; entries.Add(mine); }
            mine.ApiVersion = apiVersion;
            mine.Time = J.Now();
            mine.Fields.UnionWith(changed);
        }
        Write(updated, entries);
    }

    /// <summary>Server-side apply of <paramref name="applied"/> onto <paramref name="live"/> (null when creating).</summary>
    public static JsonObject Apply(ResourceDef def, JsonObject? live, JsonObject applied, string manager, bool force, string name, string subresource)
    {
        var statusSide = subresource == "status";
        var excludeStatus = def.HasStatus && !statusSide;
        var appliedLeaves = Leaves(applied, statusSide, excludeStatus);
        var result = live is null ? new JsonObject() : (JsonObject)live.DeepClone();
        if (live is null)
        {
            var meta = result.Ensure("metadata");
            meta["name"] = applied.Str("metadata", "name");
            if (applied.Str("metadata", "namespace") is { } ans) meta["namespace"] = ans;
        }
        var entries = live is null ? [] : Read(live);
        var me = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Apply" && e.Subresource == (statusSide ? "status" : ""));

        if (live is not null)
        {
            var conflicts = new List<(string manager, string apiVersion, string path)>();
            foreach (var p in appliedLeaves)
            {
                foreach (var e in entries)
                {
                    if (ReferenceEquals(e, me)) continue;
                    foreach (var f in e.Fields.Where(f => Overlaps(f, p)))
                    {
                        var shorter = f.Length <= p.Length ? f : p;
                        if (!J.Same(ValueAt(live, shorter), ValueAt(Overlay(live, applied, shorter), shorter)))
                            conflicts.Add((e.Manager, e.ApiVersion, f));
                    }
                }
            }
            conflicts = conflicts.Distinct().ToList();
            if (conflicts.Count > 0 && !force)
            {
                var causes = new JsonArray(conflicts.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = "FieldManagerConflict", ["message"] = $"conflict with \"{c.manager}\" using {c.apiVersion}", ["field"] = Render(c.path),
                }).ToArray());
                string msg;
                if (conflicts.Count == 1)
                    msg = $"Apply failed with 1 conflict: conflict with \"{conflicts[0].manager}\" using {conflicts[0].apiVersion}: {Render(conflicts[0].path)}";
                else
                    msg = $"Apply failed with {conflicts.Count} conflicts: " + string.Join("\n", conflicts.GroupBy(c => (c.manager, c.apiVersion)).Select(g =>
                        $"conflicts with \"{g.Key.manager}\" using {g.Key.apiVersion}:\n" + string.Join("\n", g.Select(c => "- " + Render(c.path)))));
                throw ApiError.ConflictMessage(def, name, msg, causes);
            }
            foreach (var e in entries.Where(e => !ReferenceEquals(e, me)))
                e.Fields.RemoveWhere(f => appliedLeaves.Any(p => Overlaps(f, p)));

            // Fields this manager applied before and no longer applies: removed unless another manager owns them.
            if (me is not null)
            {
                foreach (var p in me.Fields.Where(f => !appliedLeaves.Any(a => Overlaps(a, f))))
                {
                    if (entries.Any(e => !ReferenceEquals(e, me) && e.Fields.Any(f => Overlaps(f, p)))) continue;
                    RemoveAt(result, Segs(p));
                }
            }
        }

        foreach (var p in appliedLeaves) SetAt(result, Segs(p), ValueAt(applied, p)?.DeepClone());
        if (me is null) { me = new Entry { Manager = manager, Operation = "Apply", Subresource = statusSide ? "status" : "" }; entries.Add(me); }
        me.ApiVersion = def.GroupVersion;
        me.Time = J.Now();
        me.Fields = appliedLeaves;
        Write(result, entries);
        return result;
    }

    /// <summary>The live object with the applied value written at <paramref name="path"/>.</summary>
    static JsonObject Overlay(JsonObject live, JsonObject applied, string path)
    {
        var copy = new JsonObject();
        SetAt(copy, Segs(path), ValueAt(applied, path)?.DeepClone());
        return copy;
    }

    static void SetAt(JsonObject o, string[] segs, JsonNode? value)
    {
        var cur = o;
        for (int i = 0; i < segs.Length - 1; i++) cur = cur.Ensure(segs[i]);
        cur[segs[^1]] = value;
    }

    static void RemoveAt(JsonObject o, string[] segs)
    {
        var parents = new List<JsonObject> { o };
        var cur = o;
        for (int i = 0; i < segs.Length - 1; i++)
        {
            if (cur[segs[i]] is not JsonObject next) return;
            parents.Add(next);
            cur = next;
        }
        cur.Remove(segs[^1]);
        for (int i = parents.Count - 1; i > 0; i--)
        {
            if (parents[i].Count > 0) break;
            parents[i - 1].Remove(segs[i - 1]);
        }
    }
}
