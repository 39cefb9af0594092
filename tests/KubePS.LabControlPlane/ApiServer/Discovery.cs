using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>Legacy (unaggregated) discovery documents: /api, /apis, /api/v1, /apis/GROUP, /apis/GROUP/VERSION.</summary>
public static class Discovery
{
    public static JsonObject Api(string serverAddress) => new()
    {
        ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    static JsonObject Group(string g)
    {
        var versions = Resources.All.Where(r => r.Group == g).Select(r => r.Version).Distinct().ToList();
        var gv = new JsonArray(versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{g}/{v}", ["version"] = v }).ToArray());
        return new JsonObject
        {
            ["name"] = g, ["versions"] = gv,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{g}/{versions[0]}", ["version"] = versions[0] },
        };
    }

    public static JsonObject Apis() => new()
    {
        ["kind"] = "APIGroupList", ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(Resources.Groups.Select(g => (JsonNode)Group(g)).ToArray()),
    };

    public static JsonObject? ApiGroup(string g)
    {
        if (!Resources.Groups.Contains(g)) return null;
        var o = Group(g);
        o["kind"] = "APIGroup";
        o["apiVersion"] = "v1";
        return o;
    }

    static JsonObject Sub(ResourceDef r, string sub, string kind, string[] verbs, string? group = null, string? version = null)
    {
        var o = new JsonObject { ["name"] = $"{r.Plural}/{sub}", ["singularName"] = "", ["namespaced"] = r.Namespaced };
        if (group is not null) o["group"] = group;
        if (version is not null) o["version"] = version;
        o["kind"] = kind;
        o["verbs"] = J.Strings(verbs);
        return o;
    }

    public static JsonObject? Resources_(string group, string version)
    {
        var defs = Resources.All.Where(r => r.Group == group && r.Version == version).ToList();
        if (defs.Count == 0) return null;
        var list = new JsonArray();
        foreach (var r in defs)
        {
            var o = new JsonObject
            {
                ["name"] = r.Plural, ["singularName"] = r.Singular, ["namespaced"] = r.Namespaced, ["kind"] = r.Kind, ["verbs"] = J.Strings(r.Verbs),
            };
            if (r.ShortNames.Length > 0) o["shortNames"] = J.Strings(r.ShortNames);
            if (r.Categories is not null) o["categories"] = J.Strings(r.Categories);
            list.Add(o);
            foreach (var s in r.Subresources)
            {
                list.Add(s switch
                {
                    "status" => Sub(r, s, r.Kind, ["get", "patch", "update"]),
                    "approval" => Sub(r, s, r.Kind, ["get", "patch", "update"]),
                    "finalize" => Sub(r, s, r.Kind, ["update"]),
                    "binding" => Sub(r, s, "Binding", ["create"]),
                    "eviction" => Sub(r, s, "Eviction", ["create"], "policy", "v1"),
                    "token" => Sub(r, s, "TokenRequest", ["create"], "authentication.k8s.io", "v1"),
                    _ => Sub(r, s, r.Kind, ["get"]),
                });
            }
        }
        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = defs[0].GroupVersion, ["resources"] = list };
    }
}
