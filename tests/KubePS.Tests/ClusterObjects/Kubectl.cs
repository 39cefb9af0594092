using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace KubePS.Tests.ClusterObjects;

/// <summary>
/// Real kubectl (1.32, /usr/bin/kubectl) as a judge of rendered objects. `kubectl create --dry-run=client -f` needs an
/// API server for discovery and OpenAPI, which this machine has not, so the judges are the offline commands:
/// <list type="bullet">
/// <item>typed round trips: `kubectl set image|subject|selector --local -f obj -o json` decode the object into
/// kubectl's Go types and print it again, so a misspelled or misplaced field disappears and a wrongly typed one fails;</item>
/// <item>generators: `kubectl create clusterrolebinding|rolebinding|secret|configmap|serviceaccount --dry-run=client`
/// (and role/clusterrole against a loopback discovery stub) build the object kubectl itself would build from the
/// same facts;</item>
/// <item>`kubectl config view --raw -o json` parses kubeconfig text; `kubectl patch --local --type merge` applies a
/// merge patch exactly as the API server's JSON merge patch does.</item>
/// </list>
/// </summary>
static class Kubectl
{
    static readonly Dictionary<string, string> Env = new() { ["KUBECONFIG"] = "/nonexistent/kubeps-test-kubeconfig" };

    public static JsonObject Run(params string[] args)
    {
        var r = Tool.Run("kubectl", args, env: Env);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {r.Error}{r.Output}");
        return JsonNode.Parse(r.Output)!.AsObject();
    }

    public static Tool.Result TryRun(params string[] args) => Tool.Run("kubectl", args, env: Env);

    public static JsonObject RunWithServer(string server, params string[] args)
    {
        var r = Tool.Run("kubectl", ["--server", server, .. args], env: Env);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {r.Error}{r.Output}");
        return JsonNode.Parse(r.Output)!.AsObject();
    }

    public static string WriteTemp(string dir, string name, string text)
    {
        var p = Path.Combine(dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    /// <summary>
    /// Round-trips an object through kubectl's typed decoding and asserts that every field survives with its value.
    /// A field missing from kubectl's output passes only when it is a zero value (Go's omitempty drops those).
    /// </summary>
    public static void AssertTypedRoundTrip(JsonObject obj, string dir)
    {
        string kind = (string)obj["kind"]!;
        var file = WriteTemp(dir, $"{kind}-{Guid.NewGuid():N}.json", obj.ToJsonString());
        JsonObject back;
        var expected = (JsonObject)obj.DeepClone();
        switch (kind)
        {
            case "Deployment" or "DaemonSet":
                var container = (JsonObject)obj["spec"]!["template"]!["spec"]!["containers"]![0]!;
                back = Run("set", "image", "--local", "-f", file, $"{container["name"]}=kubeps.test/sentinel:1", "-o", "json");
                Assert.Equal("kubeps.test/sentinel:1", (string?)back["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
                back["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = (string?)container["image"];
                break;
            case "RoleBinding" or "ClusterRoleBinding":
                back = Run("set", "subject", "--local", "-f", file, "--group=kubeps:sentinel", "-o", "json");
                var subjects = (JsonArray)back["subjects"]!;
                Assert.Equal("kubeps:sentinel", (string?)subjects[^1]!["name"]);
                subjects.RemoveAt(subjects.Count - 1);
                break;
            case "Service":
                back = Run("set", "selector", "--local", "-f", file, "kubeps=sentinel", "-o", "json");
                Assert.Equal("sentinel", (string?)back["spec"]!["selector"]!["kubeps"]);
                back["spec"]!["selector"] = obj["spec"]!["selector"]!.DeepClone();
                break;
            default:
                throw new ArgumentException($"no typed kubectl round trip for {kind}");
        }
        AssertSubset(expected, back, kind);
    }

    static void AssertSubset(JsonNode? mine, JsonNode? theirs, string path)
    {
        switch (mine)
        {
            case JsonObject mo:
                var to = Assert.IsType<JsonObject>(theirs);
                foreach (var (k, v) in mo)
                {
                    if (!to.ContainsKey(k))
                    {
                        Assert.True(IsZero(v), $"{path}.{k} = {v?.ToJsonString()} was dropped by kubectl's typed decoding: not a field of the type");
                        continue;
                    }
                    AssertSubset(v, to[k], $"{path}.{k}");
                }
                break;
            case JsonArray ma:
                var ta = Assert.IsType<JsonArray>(theirs);
                Assert.True(ma.Count == ta.Count, $"{path}: {ma.Count} items, kubectl kept {ta.Count}");
                for (int i = 0; i < ma.Count; i++) AssertSubset(ma[i], ta[i], $"{path}[{i}]");
                break;
            default:
                Assert.True(JsonNode.DeepEquals(mine, theirs), $"{path}: rendered {mine?.ToJsonString()}, kubectl decoded {theirs?.ToJsonString()}");
                break;
        }
    }

    static bool IsZero(JsonNode? v) => v switch
    {
        null => true,
        JsonObject o => o.Count == 0,
        JsonArray a => a.Count == 0,
        _ => v.GetValueKind() switch
        {
            JsonValueKind.False => true,
            JsonValueKind.String => v.GetValue<string>().Length == 0,
            JsonValueKind.Number => v.ToJsonString() == "0",
            _ => false,
        },
    };
}

/// <summary>
/// A loopback stand-in for an API server's discovery endpoints (/api, /apis and the group-version resource lists),
/// just enough for `kubectl create role|clusterrole --dry-run=client`, which resolves resource names through
/// discovery. It serves nothing else: no object is ever sent to it.
/// </summary>
sealed class DiscoveryStub : IDisposable
{
    readonly HttpListener _listener = new();
    readonly CancellationTokenSource _stop = new();

    static readonly Dictionary<string, (string Kind, bool Namespaced)[]> Resources = new()
    {
        ["v1"] =
        [
            ("ConfigMap", true), ("Secret", true), ("Node", false), ("Namespace", false), ("Pod", true), ("Service", true),
            ("Endpoints", true), ("ServiceAccount", true),
        ],
        ["rbac.authorization.k8s.io/v1"] = [("Role", true), ("ClusterRole", false), ("RoleBinding", true), ("ClusterRoleBinding", false)],
        ["apps/v1"] = [("Deployment", true), ("DaemonSet", true)],
        ["discovery.k8s.io/v1"] = [("EndpointSlice", true)],
    };

    public DiscoveryStub()
    {
        int port = Tool.FreePort();
        Url = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _ = Task.Run(Serve);
    }

    public string Url { get; }

    async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch { return; }
            string path = ctx.Request.Url!.AbsolutePath.TrimEnd('/');
            string? body = path switch
            {
                "/api" => """{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}""",
                "/apis" => Groups(),
                "/api/v1" => ResourceList("v1"),
                _ when path.StartsWith("/apis/", StringComparison.Ordinal) && Resources.ContainsKey(path["/apis/".Length..]) => ResourceList(path["/apis/".Length..]),
                _ => null,
            };
            ctx.Response.StatusCode = body is null ? 404 : 200;
            ctx.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(body ?? """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}""");
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
    }

    static string Groups()
    {
        var groups = new JsonArray();
        foreach (var gv in Resources.Keys.Where(k => k.Contains('/')))
        {
            string group = gv[..gv.IndexOf('/')], version = gv[(gv.IndexOf('/') + 1)..];
            var v = new JsonObject { ["groupVersion"] = gv, ["version"] = version };
            groups.Add(new JsonObject { ["name"] = group, ["versions"] = new JsonArray(v), ["preferredVersion"] = v.DeepClone() });
        }
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups }.ToJsonString();
    }

    static string ResourceList(string gv)
    {
        var list = new JsonArray();
        foreach (var (kind, ns) in Resources[gv])
        {
            string lower = kind.ToLowerInvariant();
            string plural = lower.EndsWith('s') ? lower : lower.EndsWith('y') ? lower[..^1] + "ies" : lower + "s";
            list.Add(new JsonObject
            {
                ["name"] = plural, ["singularName"] = lower, ["namespaced"] = ns, ["kind"] = kind,
                ["verbs"] = new JsonArray("create", "delete", "get", "list", "patch", "update", "watch"),
            });
        }
        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = gv, ["resources"] = list }.ToJsonString();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
    }
}
