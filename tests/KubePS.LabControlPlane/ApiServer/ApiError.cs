using System.Text.Json.Nodes;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>An error the API answers with a Status object, as the real server's apierrors do.</summary>
public sealed class ApiError(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public JsonObject? Details { get; } = details;
    public int? RetryAfterSeconds { get; init; }

    public JsonObject ToStatus() => Status(Code, Reason, Message, Details);

    public static JsonObject Status(int code, string reason, string message, JsonObject? details = null)
    {
        var s = new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
            ["message"] = message, ["reason"] = reason,
        };
        if (details is not null) s["details"] = details;
        s["code"] = code;
        return s;
    }

    public static JsonObject Success(string? name = null, string? kind = null, string? group = null)
    {
        var s = new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success" };
        if (name is not null) s["details"] = D(name, group ?? "", kind ?? "");
        return s;
    }

    public static string Qualified(ResourceDef d) => d.Group.Length == 0 ? d.Plural : $"{d.Plural}.{d.Group}";

    static JsonObject D(string name, string group, string kind)
    {
        var o = new JsonObject { ["name"] = name };
        if (group.Length > 0) o["group"] = group;
        o["kind"] = kind;
        return o;
    }

    public static ApiError NotFound(ResourceDef d, string name) =>
        new(404, "NotFound", $"{Qualified(d)} \"{name}\" not found", D(name, d.Group, d.Plural));

    public static ApiError NamespaceNotFound(string ns) =>
        new(404, "NotFound", $"namespaces \"{ns}\" not found", D(ns, "", "namespaces"));

    public static ApiError NoResource() =>
        new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    public static ApiError AlreadyExists(ResourceDef d, string name) =>
        new(409, "AlreadyExists", $"{Qualified(d)} \"{name}\" already exists", D(name, d.Group, d.Plural));

    public static ApiError Conflict(ResourceDef d, string name) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {Qualified(d)} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            D(name, d.Group, d.Plural));

    public static ApiError ConflictMessage(ResourceDef d, string name, string message, JsonArray? causes = null)
    {
        var det = D(name, d.Group, d.Plural);
        if (causes is not null) det["causes"] = causes;
        return new(409, "Conflict", message, det);
    }

    public static ApiError Invalid(ResourceDef d, string name, params (string field, string type, string message)[] causes)
    {
        var det = D(name, d.Group, d.Kind);
        det["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject
        {
            ["reason"] = c.type, ["message"] = c.message, ["field"] = c.field,
        }).ToArray());
        var text = string.Join(", ", causes.Select(c => $"{c.field}: {c.message}"));
        var label = d.Group.Length == 0 ? d.Kind : $"{d.Kind}.{d.Group}";
        return new(422, "Invalid", $"{label} \"{name}\" is invalid: {text}", det);
    }

    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);
    public static ApiError MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message, new JsonObject());
    public static ApiError NotAcceptable(string message) => new(406, "NotAcceptable", message);
    public static ApiError UnsupportedMediaType(string ct) => new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {ct})");
    public static ApiError Internal(string message) =>
        new(500, "InternalError", "Internal error occurred: " + message, new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = message }) });
    public static ApiError Forbidden(ResourceDef? d, string resourceForMessage, string name, string message) =>
        new(403, "Forbidden", message, d is null ? new JsonObject() : D(name, d.Group, resourceForMessage));
}
