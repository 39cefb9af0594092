using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>meta.k8s.io/v1 Table output (what kubectl get asks for), with the columns the real printers use for the
/// common types and NAME/AGE for the rest.</summary>
public static class Tables
{
    sealed record Col(string Name, string Type, int Priority, Func<JsonObject, JsonNode?> Cell, string Format = "");

    static string Age(JsonObject o)
    {
        var t = o.Time("metadata", "creationTimestamp");
        return t is null ? "<unknown>" : Human(DateTime.UtcNow - t.Value);
    }

    public static string Human(TimeSpan d)
    {
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        if (d.TotalSeconds < 120) return $"{(int)d.TotalSeconds}s";
        if (d.TotalMinutes < 10) return d.Seconds == 0 ? $"{(int)d.TotalMinutes}m" : $"{(int)d.TotalMinutes}m{d.Seconds}s";
        if (d.TotalHours < 3) return $"{(int)d.TotalMinutes}m";
        if (d.TotalHours < 8) return d.Minutes == 0 ? $"{(int)d.TotalHours}h" : $"{(int)d.TotalHours}h{d.Minutes}m";
        if (d.TotalHours < 48) return $"{(int)d.TotalHours}h";
        if (d.TotalDays < 8) return d.Hours == 0 ? $"{(int)d.TotalDays}d" : $"{(int)d.TotalDays}d{d.Hours}h";
        return $"{(int)d.TotalDays}d";
    }

    static Col NameCol => new("Name", "string", 0, o => o.Str("metadata", "name"), "name");
    static Col AgeCol => new("Age", "string", 0, o => Age(o));

    static string NodeStatus(JsonObject n)
    {
        var ready = n.Arr("status", "conditions").FirstOrDefault(c => c.Str("type") == "Ready");
        var s = ready.Str("status") == "True" ? "Ready" : ready is null || ready.Str("status") == "Unknown" ? "Unknown" : "NotReady";
        if (ready is not null && ready.Str("status") == "Unknown") s = "NotReady";
        if (n.Bool("spec", "unschedulable") == true) s += ",SchedulingDisabled";
        return s;
    }

    static string Roles(JsonObject n)
    {
        var roles = n.Obj("metadata", "labels").Select(kv => kv.Key)
            .Where(k => k.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal)).Select(k => k["node-role.kubernetes.io/".Length..])
            .Where(r => r.Length > 0).OrderBy(r => r).ToList();
        return roles.Count == 0 ? "<none>" : string.Join(',', roles);
    }

    static string PodReady(JsonObject p)
    {
        var total = p.Arr("spec", "containers").Count;
        var ready = p.Arr("status", "containerStatuses").Count(c => c.Bool("ready") == true);
        return $"{ready}/{total}";
    }

    static string PodStatus(JsonObject p)
    {
        if (p.Str("metadata", "deletionTimestamp") is not null) return "Terminating";
        foreach (var c in p.Arr("status", "containerStatuses"))
        {
            if (c.Str("state", "waiting", "reason") is { Length: > 0 } w) return w;
            if (c.Str("state", "terminated", "reason") is { Length: > 0 } t) return t;
        }
        return p.Str("status", "reason") ?? p.Str("status", "phase") ?? "Unknown";
    }

    static long Restarts(JsonObject p) => p.Arr("status", "containerStatuses").Sum(c => c.Long("restartCount") ?? 0);

    static string CsrCondition(JsonObject c)
    {
        var conds = c.Arr("status", "conditions").Select(x => x.Str("type")).OfType<string>().ToList();
        if (conds.Count == 0) return "Pending";
        var s = string.Join(',', conds);
        if (conds.Contains("Approved") && c.Str("status", "certificate") is { Length: > 0 }) s += ",Issued";
        return s;
    }

    static string Duration(long? seconds) => seconds is null ? "<none>" : Human(TimeSpan.FromSeconds(seconds.Value));

    static Col[] Columns(ResourceDef d) => d.Plural switch
    {
        "nodes" =>
        [
            NameCol, new("Status", "string", 0, n => NodeStatus(n)), new("Roles", "string", 0, n => Roles(n)), AgeCol,
            new("Version", "string", 0, n => n.Str("status", "nodeInfo", "kubeletVersion") ?? ""),
            new("Internal-IP", "string", 1, n => n.Arr("status", "addresses").FirstOrDefault(a => a.Str("type") == "InternalIP").Str("address") ?? "<none>"),
            new("OS-Image", "string", 1, n => n.Str("status", "nodeInfo", "osImage") ?? "<unknown>"),
            new("Kernel-Version", "string", 1, n => n.Str("status", "nodeInfo", "kernelVersion") ?? "<unknown>"),
            new("Container-Runtime", "string", 1, n => n.Str("status", "nodeInfo", "containerRuntimeVersion") ?? "<unknown>"),
        ],
        "pods" =>
        [
            NameCol, new("Ready", "string", 0, p => PodReady(p)), new("Status", "string", 0, p => PodStatus(p)),
            new("Restarts", "string", 0, p => Restarts(p).ToString()), AgeCol,
            new("IP", "string", 1, p => p.Str("status", "podIP") ?? "<none>"),
            new("Node", "string", 1, p => p.Str("spec", "nodeName") ?? "<none>"),
        ],
        "namespaces" => [NameCol, new("Status", "string", 0, n => n.Str("status", "phase") ?? ""), AgeCol],
        "configmaps" => [NameCol, new("Data", "integer", 0, c => c.Obj("data").Count + c.Obj("binaryData").Count), AgeCol],
        "secrets" => [NameCol, new("Type", "string", 0, s => s.Str("type") ?? ""), new("Data", "integer", 0, s => s.Obj("data").Count), AgeCol],
        "services" =>
        [
            NameCol, new("Type", "string", 0, s => s.Str("spec", "type") ?? ""), new("Cluster-IP", "string", 0, s => s.Str("spec", "clusterIP") ?? "<none>"),
            new("External-IP", "string", 0, _ => "<none>"),
            new("Port(s)", "string", 0, s => string.Join(',', s.Arr("spec", "ports").Select(p => $"{p.Long("port")}/{p.Str("protocol") ?? "TCP"}"))),
            AgeCol,
        ],
        "deployments" =>
        [
            NameCol, new("Ready", "string", 0, o => $"{o.Long("status", "readyReplicas") ?? 0}/{o.Long("spec", "replicas") ?? 1}"),
            new("Up-to-date", "integer", 0, o => o.Long("status", "updatedReplicas") ?? 0),
            new("Available", "integer", 0, o => o.Long("status", "availableReplicas") ?? 0), AgeCol,
        ],
        "daemonsets" =>
        [
            NameCol, new("Desired", "integer", 0, o => o.Long("status", "desiredNumberScheduled") ?? 0),
            new("Current", "integer", 0, o => o.Long("status", "currentNumberScheduled") ?? 0),
            new("Ready", "integer", 0, o => o.Long("status", "numberReady") ?? 0),
            new("Up-to-date", "integer", 0, o => o.Long("status", "updatedNumberScheduled") ?? 0),
            new("Available", "integer", 0, o => o.Long("status", "numberAvailable") ?? 0),
            new("Node Selector", "string", 0, o => string.Join(',', o.Obj("spec", "template", "spec", "nodeSelector").Select(kv => $"{kv.Key}={kv.Value.Str()}")) is { Length: > 0 } s ? s : "<none>"),
            AgeCol,
        ],
        "certificatesigningrequests" =>
        [
            NameCol, AgeCol, new("SignerName", "string", 0, c => c.Str("spec", "signerName") ?? ""),
            new("Requestor", "string", 0, c => c.Str("spec", "username") ?? ""),
            new("RequestedDuration", "string", 0, c => Duration(c.Long("spec", "expirationSeconds"))),
            new("Condition", "string", 0, c => CsrCondition(c)),
        ],
        "leases" => [NameCol, new("Holder", "string", 0, l => l.Str("spec", "holderIdentity") ?? ""), AgeCol],
        "poddisruptionbudgets" =>
        [
            NameCol, new("Min Available", "string", 0, p => p.Obj("spec")["minAvailable"]?.ToString() ?? "N/A"),
            new("Max Unavailable", "string", 0, p => p.Obj("spec")["maxUnavailable"]?.ToString() ?? "N/A"),
            new("Allowed Disruptions", "integer", 0, p => p.Long("status", "disruptionsAllowed") ?? 0), AgeCol,
        ],
        "clusterroles" or "roles" => [NameCol, new("Created At", "date", 0, o => o.Str("metadata", "creationTimestamp"))],
        "clusterrolebindings" or "rolebindings" =>
        [
            NameCol, new("Role", "string", 0, o => $"{o.Str("roleRef", "kind")}/{o.Str("roleRef", "name")}"), AgeCol,
        ],
        "endpoints" =>
        [
            NameCol, new("Endpoints", "string", 0, e => string.Join(',', e.Arr("subsets").SelectMany(s =>
                s.Arr("addresses").SelectMany(a => s.Arr("ports").Select(p => $"{a.Str("ip")}:{p.Long("port")}")))) is { Length: > 0 } x ? x : "<none>"),
            AgeCol,
        ],
        "serviceaccounts" => [NameCol, new("Secrets", "integer", 0, s => s.Arr("secrets").Count), AgeCol],
        "events" =>
        [
            new("Last Seen", "string", 0, e => e.Time("lastTimestamp") is { } t ? Human(DateTime.UtcNow - t) : "<unknown>"),
            new("Type", "string", 0, e => e.Str("type") ?? ""), new("Reason", "string", 0, e => e.Str("reason") ?? ""),
            new("Object", "string", 0, e => $"{e.Str("involvedObject", "kind")?.ToLowerInvariant()}/{e.Str("involvedObject", "name")}"),
            new("Message", "string", 0, e => e.Str("message") ?? ""),
        ],
        _ => [NameCol, AgeCol],
    };

    public static JsonObject Build(ResourceDef d, IEnumerable<JsonObject> items, string? resourceVersion)
    {
        var cols = Columns(d);
        var table = new JsonObject
        {
            ["kind"] = "Table", ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = resourceVersion is null ? new JsonObject() : new JsonObject { ["resourceVersion"] = resourceVersion },
            ["columnDefinitions"] = new JsonArray(cols.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name, ["type"] = c.Type, ["format"] = c.Format, ["description"] = c.Name, ["priority"] = c.Priority,
            }).ToArray()),
        };
        var rows = new JsonArray();
        foreach (var o in items)
        {
            var cells = new JsonArray();
            foreach (var c in cols)
            {
                var v = c.Cell(o);
                cells.Add(v is null ? null : v.Parent is null ? v : v.DeepClone());
            }
            var meta = (JsonObject)o.Obj("metadata").DeepClone();
            meta.Remove("managedFields");
            rows.Add(new JsonObject
            {
                ["cells"] = cells,
                ["object"] = new JsonObject { ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = meta },
            });
        }
        table["rows"] = rows;
        return table;
    }
}
