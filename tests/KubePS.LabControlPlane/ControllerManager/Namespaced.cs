using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ControllerManager;

/// <summary>The serviceaccount controller (a "default" ServiceAccount per namespace) and root-ca-cert-publisher
/// (a kube-root-ca.crt ConfigMap per namespace holding --root-ca-file).</summary>
public static class Namespaced
{
    static async Task<IEnumerable<string>> ActiveNamespaces(KubeClient client, CancellationToken ct) =>
        (await client.List("/api/v1/namespaces", ct)).Where(n => n.Str("metadata", "deletionTimestamp") is null)
            .Select(n => n.Str("metadata", "name")!);

    public static async Task DefaultServiceAccounts(KubeClient read, KubeClient client, CancellationToken ct)
    {
        foreach (var ns in await ActiveNamespaces(read, ct))
        {
            if (await read.Get($"/api/v1/namespaces/{ns}/serviceaccounts/default", ct) is not null) continue;
            try
            {
                await client.Post($"/api/v1/namespaces/{ns}/serviceaccounts", new JsonObject
                {
                    ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = new JsonObject { ["name"] = "default", ["namespace"] = ns },
                }, ct);
            }
            catch (ApiException e) when (e.Code is 409 or 404) { }
        }
    }

    public static async Task PublishRootCa(KubeClient read, KubeClient client, string caPem, CancellationToken ct)
    {
        foreach (var ns in await ActiveNamespaces(read, ct))
        {
            var path = $"/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt";
            var cm = await read.Get(path, ct);
            try
            {
                if (cm is null)
                    await client.Post($"/api/v1/namespaces/{ns}/configmaps", new JsonObject
                    {
                        ["apiVersion"] = "v1", ["kind"] = "ConfigMap",
                        ["metadata"] = new JsonObject
                        {
                            ["name"] = "kube-root-ca.crt", ["namespace"] = ns,
                            ["annotations"] = new JsonObject { ["kubernetes.io/description"] = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters." },
                        },
                        ["data"] = new JsonObject { ["ca.crt"] = caPem },
                    }, ct);
                else if (cm.Str("data", "ca.crt") != caPem)
                {
                    cm.Ensure("data")["ca.crt"] = caPem;
                    await client.Put(path, cm, ct);
                }
            }
            catch (ApiException e) when (e.Code is 409 or 404) { }
        }
    }
}
