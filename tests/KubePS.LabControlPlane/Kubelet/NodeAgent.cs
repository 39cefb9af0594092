using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.Kubelet;

public sealed record NodeOptions(
    string Name, string Ip, string KubeletVersion, string RuntimeVersion, Dictionary<string, string> Labels, JsonArray Taints,
    TimeSpan StatusFrequency, int LeaseDurationSeconds, int KubeletPort);

/// <summary>
/// The kubelet's API side: register the Node, keep its status and Lease fresh, and mirror the static pods (with the
/// kubernetes.io/config.mirror annotation, owned by the Node) including their container states.
/// </summary>
public sealed class NodeAgent(KubeClient client, NodeOptions o, StaticPods pods)
{
    string? _nodeUid;
    DateTime _lastStatus = DateTime.MinValue, _lastLease = DateTime.MinValue;
    readonly Dictionary<string, string> _readySince = [];
    readonly DateTime _bootTime = DateTime.UtcNow;

    static string ReadFile(string f, string fallback) { try { return File.ReadAllText(f).Trim(); } catch (IOException) { return fallback; } catch (UnauthorizedAccessException) { return fallback; } }

    static string OsImage()
    {
        foreach (var line in ReadFile("/etc/os-release", "").Split('\n'))
            if (line.StartsWith("PRETTY_NAME=")) return line["PRETTY_NAME=".Length..].Trim('"');
        return "Linux";
    }

    static long MemKi()
    {
        foreach (var line in ReadFile("/proc/meminfo", "").Split('\n'))
            if (line.StartsWith("MemTotal:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return 0;
    }

    JsonObject Resources() => new()
    {
        ["cpu"] = Environment.ProcessorCount.ToString(), ["ephemeral-storage"] = "20Gi", ["hugepages-1Gi"] = "0", ["hugepages-2Mi"] = "0",
        ["memory"] = $"{MemKi()}Ki", ["pods"] = "110",
    };

    JsonArray Conditions(string now)
    {
        JsonObject C(string type, string status, string reason, string message) => new()
        {
            ["type"] = type, ["status"] = status, ["lastHeartbeatTime"] = now,
            ["lastTransitionTime"] = _readySince.TryGetValue(type + status, out var t) ? t : _readySince[type + status] = now,
            ["reason"] = reason, ["message"] = message,
        };
        return new JsonArray(
            C("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            C("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            C("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            C("Ready", "True", "KubeletReady", "kubelet is posting ready status"));
    }

    JsonObject Status(string now) => new()
    {
        ["capacity"] = Resources(), ["allocatable"] = Resources(), ["conditions"] = Conditions(now),
        ["addresses"] = new JsonArray(new JsonObject { ["type"] = "InternalIP", ["address"] = o.Ip }, new JsonObject { ["type"] = "Hostname", ["address"] = o.Name }),
        ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = o.KubeletPort } },
        ["nodeInfo"] = new JsonObject
        {
            ["machineID"] = ReadFile("/etc/machine-id", ""), ["systemUUID"] = ReadFile("/sys/class/dmi/id/product_uuid", ReadFile("/etc/machine-id", "")),
            ["bootID"] = ReadFile("/proc/sys/kernel/random/boot_id", ""), ["kernelVersion"] = ReadFile("/proc/sys/kernel/osrelease", ""),
            ["osImage"] = OsImage(), ["containerRuntimeVersion"] = o.RuntimeVersion, ["kubeletVersion"] = o.KubeletVersion,
            ["kubeProxyVersion"] = "", ["operatingSystem"] = "linux", ["architecture"] = "amd64",
        },
    };

    async Task Register(CancellationToken ct)
    {
        var existing = await client.Get($"/api/v1/nodes/{o.Name}", ct);
        if (existing is null)
        {
            var labels = new JsonObject
            {
                ["beta.kubernetes.io/arch"] = "amd64", ["beta.kubernetes.io/os"] = "linux", ["kubernetes.io/arch"] = "amd64",
                ["kubernetes.io/hostname"] = o.Name, ["kubernetes.io/os"] = "linux",
            };
            foreach (var (k, v) in o.Labels) labels[k] = v;
            var node = new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "Node",
                ["metadata"] = new JsonObject
                {
                    ["name"] = o.Name, ["labels"] = labels,
                    ["annotations"] = new JsonObject
                    {
                        ["node.alpha.kubernetes.io/ttl"] = "0", ["volumes.kubernetes.io/controller-managed-attach-detach"] = "true",
                    },
                },
                ["spec"] = o.Taints.Count > 0 ? new JsonObject { ["taints"] = o.Taints.DeepClone() } : new JsonObject(),
                ["status"] = Status(J.Now()),
            };
            try
            {
                existing = await client.Post("/api/v1/nodes", node, ct);
                Log.Info($"Successfully registered node {o.Name}");
            }
            catch (ApiException e) when (e.Code == 409) { existing = await client.Get($"/api/v1/nodes/{o.Name}", ct); }
        }
        else Log.Info($"node {o.Name} already registered; using it");
        _nodeUid = existing?.Str("metadata", "uid");
    }

    /// <summary>One pass: register if needed, heartbeat (status + lease) when due, and sync mirror pods.</summary>
    public async Task Tick(CancellationToken ct)
    {
        if (_nodeUid is null) await Register(ct);
        if (_nodeUid is null) return;
        var now = DateTime.UtcNow;
        if (now - _lastStatus >= o.StatusFrequency)
        {
            var body = new JsonObject { ["status"] = Status(J.Now()) };
            try
            {
                var r = await client.Call(HttpMethod.Patch, $"/api/v1/nodes/{o.Name}/status", body, "application/strategic-merge-patch+json", ct);
                if (r.Str("metadata", "uid") is { } uid && uid != _nodeUid) _nodeUid = uid;
                _lastStatus = now;
            }
            catch (ApiException e) when (e.Code == 404)
            {
                Log.Warn($"node {o.Name} was deleted; registering it again");
                _nodeUid = null;
                return;
            }
        }
        if (now - _lastLease >= TimeSpan.FromSeconds(o.LeaseDurationSeconds / 4.0))
        {
            await RenewLease(ct);
            _lastLease = now;
        }
        await SyncMirrorPods(ct);
    }

    async Task RenewLease(CancellationToken ct)
    {
        var path = $"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{o.Name}";
        var lease = await client.Get(path, ct);
        if (lease is null)
        {
            await client.Post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", new JsonObject
            {
                ["apiVersion"] = "coordination.k8s.io/v1", ["kind"] = "Lease",
                ["metadata"] = new JsonObject
                {
                    ["name"] = o.Name, ["namespace"] = "kube-node-lease",
                    ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = o.Name, ["uid"] = _nodeUid }),
                },
                ["spec"] = new JsonObject { ["holderIdentity"] = o.Name, ["leaseDurationSeconds"] = o.LeaseDurationSeconds, ["renewTime"] = J.NowMicro() },
            }, ct);
            return;
        }
        var spec = lease.Ensure("spec");
        spec["holderIdentity"] = o.Name;
        spec["leaseDurationSeconds"] = o.LeaseDurationSeconds;
        spec["renewTime"] = J.NowMicro();
        try { await client.Put(path, lease, ct); } catch (ApiException e) when (e.Code == 409) { }
    }

    string MirrorName(StaticPods.Pod p) => $"{p.Name}-{o.Name}";

    async Task SyncMirrorPods(CancellationToken ct)
    {
        var statics = pods.Snapshot();
        var existing = (await client.List($"/api/v1/pods?fieldSelector=spec.nodeName%3D{Uri.EscapeDataString(o.Name)}", ct))
            .Where(p => p.Str("metadata", "annotations", "kubernetes.io/config.mirror") is not null).ToList();
        foreach (var p in statics)
        {
            var name = MirrorName(p);
            var mirror = existing.FirstOrDefault(m => m.Str("metadata", "namespace") == p.Namespace && m.Str("metadata", "name") == name);
            var path = $"/api/v1/namespaces/{p.Namespace}/pods/{name}";
            if (mirror is not null && mirror.Str("metadata", "annotations", "kubernetes.io/config.mirror") != p.Hash)
            {
                await client.Delete(path, ct);
                mirror = null;
            }
            if (mirror is null)
            {
                var pod = (JsonObject)p.Manifest.DeepClone();
                pod.Remove("status");
                var meta = pod.Ensure("metadata");
                meta["name"] = name;
                meta["namespace"] = p.Namespace;
                meta.Remove("creationTimestamp");
                var ann = meta.Ensure("annotations");
                ann["kubernetes.io/config.hash"] = p.Hash;
                ann["kubernetes.io/config.mirror"] = p.Hash;
                ann["kubernetes.io/config.seen"] = p.Seen.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'");
                ann["kubernetes.io/config.source"] = "file";
                meta["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = o.Name, ["uid"] = _nodeUid, ["controller"] = true,
                });
                pod.Ensure("spec")["nodeName"] = o.Name;
                try { mirror = await client.Post($"/api/v1/namespaces/{p.Namespace}/pods", pod, ct); }
                catch (ApiException e) when (e.Code == 409) { mirror = await client.Get(path, ct); }
                catch (ApiException e) when (e.Code == 404)
                {
                    Log.Warn($"mirror pod {p.Namespace}/{name}: {e.Message}");
                    continue;
                }
                if (mirror is null) continue;
            }
            var status = PodStatus(p);
            if (!SameStatus(mirror.Obj("status"), status))
            {
                try
                {
                    await client.Call(HttpMethod.Patch, path + "/status", new JsonObject { ["status"] = status },
                        "application/merge-patch+json", ct);
                }
                catch (ApiException e) when (e.Code is 404 or 409) { }
            }
        }
        foreach (var m in existing)
        {
            if (statics.Any(p => p.Namespace == m.Str("metadata", "namespace") && MirrorName(p) == m.Str("metadata", "name"))) continue;
            Log.Info($"deleting orphaned mirror pod {m.Str("metadata", "namespace")}/{m.Str("metadata", "name")}");
            await client.Delete($"/api/v1/namespaces/{m.Str("metadata", "namespace")}/pods/{m.Str("metadata", "name")}", ct);
        }
    }

    static bool SameStatus(JsonObject have, JsonObject want)
    {
        static JsonNode Strip(JsonObject s)
        {
            var c = (JsonObject)s.DeepClone();
            foreach (var cond in c.Arr("conditions").OfType<JsonObject>()) { cond.Remove("lastTransitionTime"); cond.Remove("lastProbeTime"); }
            return c;
        }
        return J.Same(Strip(have), Strip(want));
    }

    JsonObject PodStatus(StaticPods.Pod p)
    {
        var statuses = new JsonArray();
        bool allRunning = true, allReady = true;
        foreach (var c in p.Containers)
        {
            var s = new JsonObject
            {
                ["name"] = c.Name, ["image"] = c.Image, ["imageID"] = "",
                ["ready"] = c.Ready, ["started"] = c.Started, ["restartCount"] = c.RestartCount,
            };
            if (c.Pid is { } pid) s["containerID"] = $"lab://{p.Hash[..12]}-{c.Name}-{pid}";
            if (c.ShimPid is not null && c.StartedAt is { } st)
                s["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = st.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") } };
            else
            {
                allRunning = false;
                var w = new JsonObject { ["reason"] = c.Held ? "LabHeld" : c.WaitingReason ?? "ContainerCreating" };
                if (c.Held) w["message"] = "stopped by the lab (fault injection)";
                else if (c.WaitingMessage is not null) w["message"] = c.WaitingMessage;
                s["state"] = new JsonObject { ["waiting"] = w };
            }
            if (c.LastTermination is { } t)
                s["lastState"] = new JsonObject
                {
                    ["terminated"] = new JsonObject
                    {
                        ["exitCode"] = t.code, ["reason"] = t.reason,
                        ["startedAt"] = t.started.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), ["finishedAt"] = t.finished.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
                    },
                };
            else s["lastState"] = new JsonObject();
            allReady &= c.Ready;
            statuses.Add(s);
        }
        string T(bool b) => b ? "True" : "False";
        var boot = _bootTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        JsonObject Cond(string type, bool ok) => new() { ["type"] = type, ["status"] = T(ok), ["lastProbeTime"] = null, ["lastTransitionTime"] = boot };
        var conds = new JsonArray(Cond("PodReadyToStartContainers", true), Cond("Initialized", true), Cond("Ready", allReady),
            Cond("ContainersReady", allReady), Cond("PodScheduled", true));
        foreach (var c in conds.OfType<JsonObject>().Where(c => c.Str("status") == "False"))
        {
            c["reason"] = "ContainersNotReady";
            c["message"] = "containers with unready status: [" + string.Join(' ', p.Containers.Where(x => !x.Ready).Select(x => x.Name)) + "]";
        }
        return new JsonObject
        {
            ["phase"] = allRunning ? "Running" : "Pending",
            ["conditions"] = conds,
            ["hostIP"] = o.Ip, ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = o.Ip }),
            ["podIP"] = o.Ip, ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = o.Ip }),
            ["startTime"] = boot, ["containerStatuses"] = statuses, ["qosClass"] = "Burstable",
        };
    }
}
