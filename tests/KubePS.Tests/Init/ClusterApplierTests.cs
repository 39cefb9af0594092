using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows;
using Xunit;
using static KubePS.Tests.Init.InitTestSupport;

namespace KubePS.Tests.Init;

/// <summary>
/// The cluster applier's rules: merge patches as the API server applies them (judged by kubectl), objects left alone
/// when the server already holds what the rendering sets, kubeadm's super-admin.conf fallback for the
/// kubeadm:cluster-admins binding, and a control plane that is not running under -WhatIf.
/// </summary>
public sealed class ClusterApplierTests : IDisposable
{
    readonly string _dir = TempDir();
    public void Dispose() => Delete(_dir);

    /// <summary>A store whose answers the test scripts (e.g. admin.conf Forbidden before its binding exists).</summary>
    sealed class ScriptedStore(string target) : IClusterStore
    {
        public Func<JsonObject, JsonObject>? OnApply { get; init; }
        public Func<JsonObject?>? OnGet { get; init; }
        public Func<JsonObject, int, JsonObject>? OnPatch { get; init; }
        public List<string> Calls { get; } = [];
        public string Target => target;
        public Task<JsonObject?> GetAsync(KubeResource r, string? ns, string name, CancellationToken ct) { Calls.Add("get " + name); return Task.FromResult(OnGet?.Invoke()); }
        public Task<IReadOnlyList<JsonObject>> ListAsync(KubeResource r, string? ns, string? f, CancellationToken ct) => Task.FromResult<IReadOnlyList<JsonObject>>([]);
        public Task<JsonObject> CreateAsync(JsonObject obj, CancellationToken ct) => throw new NotSupportedException();
        public Task<JsonObject> ApplyAsync(JsonObject obj, CancellationToken ct) { Calls.Add("apply " + ClusterApplier.Describe(obj)); return Task.FromResult(OnApply?.Invoke(obj) ?? obj); }
        public Task<JsonObject> MergePatchAsync(KubeResource r, string? ns, string name, JsonObject patch, CancellationToken ct)
        {
            Calls.Add("patch " + name);
            return Task.FromResult(OnPatch?.Invoke(patch, Calls.Count(c => c.StartsWith("patch"))) ?? patch);
        }
        public Task<JsonObject?> WaitForAsync(KubeResource r, string? ns, string name, TimeSpan t, CancellationToken ct) => GetAsync(r, ns, name, ct);
        public void Dispose() { }
    }

    static KubeException Forbidden() => new("Api.Forbidden", "403 forbidden", KubeErrorCategory.PermissionDenied);

    [Theory]
    [InlineData("""{"metadata":{"labels":{"a":"1","gone":null}},"spec":{"taints":[{"key":"k","effect":"NoSchedule"}]}}""")]
    [InlineData("""{"metadata":{"annotations":{"x/y":"z"}},"spec":{"unschedulable":true,"podCIDR":null}}""")]
    [InlineData("""{"spec":{"taints":null},"metadata":{"labels":null}}""")]
    public void Merge_patches_apply_as_kubectl_applies_them(string patchJson)
    {
        var node = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","labels":{"gone":"x","keep":"y"}},
             "spec":{"podCIDR":"10.244.0.0/24","taints":[{"key":"old","effect":"NoExecute"}]}}
            """)!.AsObject();
        var patch = JsonNode.Parse(patchJson)!.AsObject();
        var file = Path.Combine(_dir, "node.json");
        File.WriteAllText(file, node.ToJsonString());
        var r = Kubectl("patch", "--local", "-f", file, "--type", "merge", "-p", patchJson, "-o", "json");
        Assert.True(r.ExitCode == 0, r.Error);
        var expected = JsonNode.Parse(r.Output)!;
        var mine = ApplyPatch(node, patch);
        Assert.True(JsonNode.DeepEquals(expected, mine), $"kubectl: {expected.ToJsonString()}\nKubePS:  {mine.ToJsonString()}");
    }

    static JsonObject ApplyPatch(JsonObject target, JsonObject patch)
    {
        // Through the dry-run store, which applies merge patches to what it holds.
        var store = new DryRunClusterStore(Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N")));
        try
        {
            store.ApplyAsync(target, default).GetAwaiter().GetResult();
            return store.MergePatchAsync(KubeResource.Node, null, "n1", patch, default).GetAwaiter().GetResult();
        }
        finally { Delete(store.FolderPath); }
    }

    [Fact]
    public async Task An_object_the_server_holds_with_defaults_added_is_left_alone_and_a_changed_one_is_applied()
    {
        var rendered = CoreDnsObjects.Render(new ClusterObjectsRequest { Version = VersionCatalog.NewestRelease, ControlPlaneEndpoint = "https://10.0.0.1:6443", CACertificatePem = FakeCa() })
            .Single(o => (string?)o["kind"] == "Deployment");
        // What an API server returns: the object plus metadata, defaults inside list items and status.
        var stored = (JsonObject)rendered.DeepClone();
        stored["metadata"]!["uid"] = "u-1";
        stored["metadata"]!["resourceVersion"] = "42";
        stored["spec"]!["template"]!["spec"]!["containers"]![0]!["terminationMessagePath"] = "/dev/termination-log";
        stored["spec"]!["progressDeadlineSeconds"] = 600;
        stored["status"] = new JsonObject { ["replicas"] = 2 };
        var store = new ScriptedStore("https://10.0.0.1:6443") { OnGet = () => (JsonObject)stored.DeepClone() };
        var changes = new WorkflowChanges();
        var sink = new CapturingSink();
        var applier = new ClusterApplier(store, sink, changes);
        await applier.ApplyAsync("addon/coredns", rendered, default);
        Assert.DoesNotContain(store.Calls, c => c.StartsWith("apply"));
        Assert.Empty(sink.Questions);

        stored["spec"]!["replicas"] = 5;
        await applier.ApplyAsync("addon/coredns", rendered, default);
        Assert.Contains("apply Deployment kube-system/coredns", store.Calls);
        Assert.Equal("update Deployment kube-system/coredns", Assert.Single(changes.All).Action);
    }

    [Fact]
    public async Task The_cluster_admins_binding_is_made_with_super_admin_conf_when_admin_conf_is_forbidden()
    {
        var binding = BootstrapTokenObjects.ClusterAdminsBinding(KubeVersion.Parse("1.30.14"))!;
        var admin = new ScriptedStore("https://cp:6443") { OnGet = () => throw Forbidden(), OnApply = _ => throw Forbidden() };
        var super = new ScriptedStore("https://cp:6443");
        var changes = new WorkflowChanges();
        var applier = new ClusterApplier(admin, new CapturingSink(), changes, fallback: super);
        await applier.ApplyWithFallbackAsync("wait-control-plane", binding, default);
        Assert.Equal(["get kubeadm:cluster-admins", "apply ClusterRoleBinding kubeadm:cluster-admins"], super.Calls);
        Assert.Equal("create ClusterRoleBinding kubeadm:cluster-admins", Assert.Single(changes.All).Action);

        // Readable but not creatable with admin.conf: the create goes to super-admin.conf too.
        var admin2 = new ScriptedStore("https://cp:6443") { OnApply = _ => throw Forbidden() };
        var super2 = new ScriptedStore("https://cp:6443");
        await new ClusterApplier(admin2, new CapturingSink(), new WorkflowChanges(), super2).ApplyWithFallbackAsync("x", binding, default);
        Assert.Equal(["apply ClusterRoleBinding kubeadm:cluster-admins"], super2.Calls);
    }

    [Fact]
    public async Task A_node_patch_that_conflicts_is_rendered_again_from_the_node_read_again()
    {
        int renders = 0;
        var store = new ScriptedStore("https://cp:6443")
        {
            OnGet = () => JsonNode.Parse("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","resourceVersion":"7"},"spec":{}}""")!.AsObject(),
            OnPatch = (_, n) => n == 1 ? throw new KubeException("Api.Conflict", "409", KubeErrorCategory.ResourceExists) : new JsonObject(),
        };
        var applier = new ClusterApplier(store, new CapturingSink(), new WorkflowChanges());
        var node = await store.GetAsync(KubeResource.Node, null, "n1", default);
        await applier.PatchAsync("mark-control-plane", KubeResource.Node, null, "n1", node,
            current => { renders++; return NodeObjects.MarkControlPlanePatch(VersionCatalog.NewestRelease, current); }, "labels", default);
        Assert.Equal(2, renders);
        Assert.Equal(2, store.Calls.Count(c => c == "patch n1"));
    }

    [Fact]
    public async Task A_cluster_that_is_not_running_is_described_and_fails_only_if_a_change_is_allowed()
    {
        var cm = JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"kube-system"},"data":{"a":"b"}}""")!.AsObject();
        var whatIf = new CapturingSink(answer: false);
        var declined = new ClusterApplier(new UnavailableClusterStore("https://cp:6443", "not started"), whatIf, new WorkflowChanges());
        Assert.Null(await declined.ApplyAsync("upload-config/kubeadm", cm, default));
        Assert.Equal("What if: Performing the operation \"[upload-config/kubeadm] create ConfigMap kube-system/x\" on target \"https://cp:6443\".", Assert.Single(whatIf.WhatIfText()));
        var allowed = new ClusterApplier(new UnavailableClusterStore("https://cp:6443", "not started"), new CapturingSink(), new WorkflowChanges());
        var e = await Assert.ThrowsAsync<KubeException>(() => allowed.ApplyAsync("upload-config/kubeadm", cm, default));
        Assert.Equal("Init.ClusterUnavailable", e.ErrorId);
    }

    static string FakeCa()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var req = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=kubernetes", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        return cert.ExportCertificatePem();
    }
}
