using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>
/// A minimal OpenAPI v3 document per group/version: one PATCH operation per resource, tagged with
/// x-kubernetes-group-version-kind and the query parameters the server honours. kubectl (1.32) reads it to learn that
/// the server validates fields itself (fieldValidation), so create/apply do not need client-side schemas; /openapi/v2
/// stays 404. No type schemas are published: kubectl explain has nothing to show.
/// Strategic merge patch is supported by the server but not announced here, so kubectl's client-side apply builds its
/// patches from its own built-in types instead of from (absent) OpenAPI schemas.
/// </summary>
public static class OpenApi
{
    static string GvPath(string group, string version) => group.Length == 0 ? "api/" + version : $"apis/{group}/{version}";

    public static JsonObject Root()
    {
        var paths = new JsonObject();
        foreach (var gv in Resources.All.Where(r => !r.Virtual).Select(r => (r.Group, r.Version)).Distinct())
        {
            var p = GvPath(gv.Group, gv.Version);
            var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Document(gv.Group, gv.Version)!.ToJsonString())))[..32];
            paths[p] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{p}?hash={hash}" };
        }
        return new JsonObject { ["paths"] = paths };
    }

    static JsonObject Param(string name) => new()
    {
        ["name"] = name, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = name == "force" ? "boolean" : "string", ["uniqueItems"] = true },
    };

    public static JsonObject? Document(string group, string version)
    {
        var defs = Resources.All.Where(r => r.Group == group && r.Version == version && !r.Virtual).ToList();
        if (defs.Count == 0) return null;
        var paths = new JsonObject();
        foreach (var d in defs)
        {
            var basePath = "/" + GvPath(group, version) + (d.Namespaced ? "/namespaces/{namespace}/" : "/") + d.Plural + "/{name}";
            JsonObject Op(string id) => new()
            {
                ["operationId"] = id,
                ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = group, ["kind"] = d.Kind, ["version"] = version },
                ["x-kubernetes-action"] = "patch",
                ["parameters"] = new JsonArray(Param("dryRun"), Param("fieldManager"), Param("fieldValidation"), Param("force")),
                ["requestBody"] = new JsonObject
                {
                    ["content"] = new JsonObject
                    {
                        ["application/apply-patch+yaml"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
                        ["application/json-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
                        ["application/merge-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
                    },
                    ["required"] = true,
                },
                ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
            };
            paths[basePath] = new JsonObject { ["patch"] = Op($"patch{d.Kind}") };
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes (lab)", ["version"] = "unversioned" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }
}
