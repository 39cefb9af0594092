using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows;

/// <summary>
/// The one gate between a workflow's phases and the cluster: each rendered object is compared with the stored one
/// (an object that already holds every field the rendering sets is left alone), the change is described to
/// <see cref="IOperationSink.ShouldChangeAsync"/> (-WhatIf, -Confirm) and then made through the store: server-side
/// apply for objects, a JSON merge patch for Nodes. Re-running a workflow therefore changes nothing.
/// </summary>
public sealed class ClusterApplier : IDisposable
{
    readonly IOperationSink _sink;
    readonly WorkflowChanges _changes;
    readonly IClusterStore? _fallback;

    /// <param name="store">where objects go</param>
    /// <param name="sink">asked before each change, told after it</param>
    /// <param name="changes">the run's change log</param>
    /// <param name="fallback">a store with more rights, used only by <see cref="ApplyWithFallbackAsync"/> when
    /// <paramref name="store"/> is Forbidden (kubeadm's super-admin.conf for the kubeadm:cluster-admins binding)</param>
    public ClusterApplier(IClusterStore store, IOperationSink sink, WorkflowChanges changes, IClusterStore? fallback = null)
    {
        Store = store;
        _sink = sink;
        _changes = changes;
        _fallback = fallback;
    }

    public IClusterStore Store { get; }

    public string Target => Store.Target;

    /// <summary>
    /// The applier for the cluster a node belongs to: a dry-run node's cluster is the folder beside its node folder
    /// (&lt;DryRunPath&gt;/cluster); otherwise the API server through <paramref name="live"/> (and <paramref name="fallback"/>),
    /// unless <paramref name="unavailableReason"/> says the control plane is not running because changes were declined.
    /// </summary>
    public static ClusterApplier ForNode(NodeApplier node, IOperationSink sink, WorkflowChanges changes, string endpoint, string? unavailableReason,
        Func<IClusterStore> live, Func<IClusterStore?> fallback)
    {
        if (node.IsDryRun)
            return new ClusterApplier(new DryRunClusterStore(DryRunClusterStore.FolderFor(node.Session.DryRunDirectory!)), sink, changes);
        if (unavailableReason is not null)
            return new ClusterApplier(new UnavailableClusterStore(endpoint, unavailableReason), sink, changes);
        return new ClusterApplier(live(), sink, changes, fallback());
    }

    public Task<JsonObject?> GetAsync(KubeResource resource, string? ns, string name, CancellationToken ct) => Store.GetAsync(resource, ns, name, ct);

    public Task<IReadOnlyList<JsonObject>> ListAsync(KubeResource resource, string? ns, string? fieldSelector, CancellationToken ct) =>
        Store.ListAsync(resource, ns, fieldSelector, ct);

    public Task<JsonObject?> WaitForAsync(KubeResource resource, string? ns, string name, TimeSpan timeout, CancellationToken ct) =>
        Store.WaitForAsync(resource, ns, name, timeout, ct);

    /// <summary>The resource, namespace and name of an object (namespaced objects without one are in default).</summary>
    public static (KubeResource Resource, string? Namespace, string Name) Identify(JsonObject obj)
    {
        string apiVersion = (string?)obj["apiVersion"] ?? throw new KubeException("Api.InvalidObject", "The object has no apiVersion.", KubeErrorCategory.InvalidArgument);
        string kind = (string?)obj["kind"] ?? throw new KubeException("Api.InvalidObject", "The object has no kind.", KubeErrorCategory.InvalidArgument);
        string name = (string?)obj["metadata"]?["name"] ?? throw new KubeException("Api.InvalidObject", $"The {kind} has no metadata.name.", KubeErrorCategory.InvalidArgument);
        var resource = KubeResource.For(apiVersion, kind);
        return (resource, resource.Namespaced ? (string?)obj["metadata"]?["namespace"] ?? "default" : null, name);
    }

    /// <summary>How an object is named in messages: Kind namespace/name or Kind name.</summary>
    public static string Describe(KubeResource resource, string? ns, string name) => ns is null ? $"{resource.Kind} {name}" : $"{resource.Kind} {ns}/{name}";

    public static string Describe(JsonObject obj)
    {
        var (r, ns, name) = Identify(obj);
        return Describe(r, ns, name);
    }

    /// <summary>Applies each object that differs from the stored one; returns the stored objects (null where declined).</summary>
    public async Task<IReadOnlyList<JsonObject?>> ApplyAsync(string phase, IEnumerable<JsonObject> objects, CancellationToken ct)
    {
        var results = new List<JsonObject?>();
        foreach (var o in objects) results.Add(await ApplyAsync(phase, o, ct).ConfigureAwait(false));
        return results;
    }

    /// <summary>Applies one object unless the stored one already holds it; null when the change was declined.</summary>
    public async Task<JsonObject?> ApplyAsync(string phase, JsonObject obj, CancellationToken ct)
    {
        var (resource, ns, name) = Identify(obj);
        var current = await Store.GetAsync(resource, ns, name, ct).ConfigureAwait(false);
        return await ApplyToAsync(Store, phase, obj, current, ct).ConfigureAwait(false);
    }

    async Task<JsonObject?> ApplyToAsync(IClusterStore store, string phase, JsonObject obj, JsonObject? current, CancellationToken ct)
    {
        var what = Describe(obj);
        if (current is not null && JsonTree.Covers(current, obj))
        {
            _sink.WriteVerbose($"{Target}: [{phase}] {what} is up to date");
            return current;
        }
        var action = $"{(current is null ? "create" : "update")} {what}";
        if (!await AskAsync(phase, action, ct).ConfigureAwait(false)) return null;
        var stored = await store.ApplyAsync(obj, ct).ConfigureAwait(false);
        Done(phase, action);
        return stored;
    }

    /// <summary>
    /// Applies an object with <see cref="Store"/> and, where that is Forbidden, with the fallback store (kubeadm's rule for
    /// the kubeadm:cluster-admins ClusterRoleBinding: admin.conf's group has no rights until that binding exists, so it
    /// is made with super-admin.conf).
    /// </summary>
    public async Task<JsonObject?> ApplyWithFallbackAsync(string phase, JsonObject obj, CancellationToken ct)
    {
        var (resource, ns, name) = Identify(obj);
        var store = Store;
        JsonObject? current;
        try
        {
            current = await Store.GetAsync(resource, ns, name, ct).ConfigureAwait(false);
        }
        catch (KubeException e) when (e.ErrorId == "Api.Forbidden" && _fallback is not null)
        {
            _sink.WriteVerbose($"{Target}: [{phase}] admin.conf may not read {Describe(resource, ns, name)} yet; using super-admin.conf");
            store = _fallback;
            current = await store.GetAsync(resource, ns, name, ct).ConfigureAwait(false);
        }
        try
        {
            return await ApplyToAsync(store, phase, obj, current, ct).ConfigureAwait(false);
        }
        catch (KubeException e) when (e.ErrorId == "Api.Forbidden" && _fallback is not null && !ReferenceEquals(store, _fallback))
        {
            _sink.WriteVerbose($"{Target}: [{phase}] admin.conf may not create {Describe(resource, ns, name)}; using super-admin.conf");
            var stored = await _fallback.ApplyAsync(obj, ct).ConfigureAwait(false);
            Done(phase, "create " + Describe(resource, ns, name));
            return stored;
        }
    }

    /// <summary>Creates an object (one that must be new, such as a token that owns another object); null when declined.</summary>
    public async Task<JsonObject?> CreateAsync(string phase, JsonObject obj, CancellationToken ct)
    {
        var action = "create " + Describe(obj);
        if (!await AskAsync(phase, action, ct).ConfigureAwait(false)) return null;
        var created = await Store.CreateAsync(obj, ct).ConfigureAwait(false);
        Done(phase, action);
        return created;
    }

    /// <summary>
    /// Patches an object with a JSON merge patch rendered from its current state (null when it does not exist), unless
    /// the patch would change nothing. A conflict (the object changed in between; the patch carries its resourceVersion)
    /// is retried with the object read again. Returns false when the change was declined.
    /// </summary>
    public async Task<bool> PatchAsync(string phase, KubeResource resource, string? ns, string name, JsonObject? current,
        Func<JsonObject?, JsonObject?> render, string description, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            var patch = render(current);
            if (patch is null) return true;
            var patched = JsonTree.MergePatch(current, patch);
            (patched["metadata"] as JsonObject)?.Remove("resourceVersion");
            var compare = (JsonObject?)current?.DeepClone();
            (compare?["metadata"] as JsonObject)?.Remove("resourceVersion");
            if (compare is not null && JsonTree.Covers(compare, patched))
            {
                _sink.WriteVerbose($"{Target}: [{phase}] {Describe(resource, ns, name)} already has {description}");
                return true;
            }
            var action = $"patch {Describe(resource, ns, name)}: {description}";
            if (attempt == 1 && !await AskAsync(phase, action, ct).ConfigureAwait(false)) return false;
            try
            {
                await Store.MergePatchAsync(resource, ns, name, patch, ct).ConfigureAwait(false);
                Done(phase, action);
                return true;
            }
            catch (KubeException e) when (e.ErrorId == "Api.Conflict" && attempt < 5)
            {
                current = await Store.GetAsync(resource, ns, name, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Records a change that cannot be made because one it depends on was declined (and says so).</summary>
    public void RecordNotMade(string phase, string action, string because)
    {
        _sink.WriteVerbose($"{Target}: [{phase}] not done: {action} ({because})");
        _changes.Add(new WorkflowChange(phase, Target, action, false));
    }

    async Task<bool> AskAsync(string phase, string action, CancellationToken ct)
    {
        if (await _sink.ShouldChangeAsync(Target, $"[{phase}] {action}", ct).ConfigureAwait(false)) return true;
        _changes.Add(new WorkflowChange(phase, Target, action, false));
        return false;
    }

    void Done(string phase, string action)
    {
        _sink.WriteVerbose($"{Target}: [{phase}] {action}");
        _changes.Add(new WorkflowChange(phase, Target, action, true));
    }

    public void Dispose()
    {
        Store.Dispose();
        _fallback?.Dispose();
    }
}
