using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;

namespace KubePS.Core.Workflows;

/// <summary>
/// Where a workflow's API objects go: the API server (<see cref="LiveClusterStore"/>), a dry-run folder
/// (<see cref="DryRunClusterStore"/>) or nowhere because the control plane is not running under -WhatIf
/// (<see cref="UnavailableClusterStore"/>). Phases never use a store directly: <see cref="ClusterApplier"/> compares,
/// asks ShouldProcess and then calls it.
/// </summary>
public interface IClusterStore : IDisposable
{
    /// <summary>What ShouldProcess questions name as the target: the API server URL or the dry-run folder.</summary>
    string Target { get; }

    Task<JsonObject?> GetAsync(KubeResource resource, string? ns, string name, CancellationToken ct);
    /// <summary>Objects of a kind; <paramref name="fieldSelector"/> may be null or <c>type=...</c> (Secrets).</summary>
    Task<IReadOnlyList<JsonObject>> ListAsync(KubeResource resource, string? ns, string? fieldSelector, CancellationToken ct);

    /// <summary>Creates an object and returns it as stored (with metadata.uid).</summary>
    Task<JsonObject> CreateAsync(JsonObject obj, CancellationToken ct);

    /// <summary>Server-side apply (field manager kubeps, forced, as kubeadm owns these objects).</summary>
    Task<JsonObject> ApplyAsync(JsonObject obj, CancellationToken ct);

    Task<JsonObject> MergePatchAsync(KubeResource resource, string? ns, string name, JsonObject patch, CancellationToken ct);

    /// <summary>The object once it exists (e.g. the Node the kubelet registers), or null when it did not appear in time.</summary>
    Task<JsonObject?> WaitForAsync(KubeResource resource, string? ns, string name, TimeSpan timeout, CancellationToken ct);
}

/// <summary>The API server, through <see cref="KubeApiClient"/>.</summary>
public sealed class LiveClusterStore(KubeApiClient client) : IClusterStore
{
    public KubeApiClient Client { get; } = client;

    public string Target => Client.Credentials.Server.ToString().TrimEnd('/');

    public Task<JsonObject?> GetAsync(KubeResource resource, string? ns, string name, CancellationToken ct) => Client.GetAsync(resource, ns, name, ct);
    public Task<IReadOnlyList<JsonObject>> ListAsync(KubeResource resource, string? ns, string? fieldSelector, CancellationToken ct) =>
        Client.ListAsync(resource, ns, fieldSelector: fieldSelector, ct: ct);
    public Task<JsonObject> CreateAsync(JsonObject obj, CancellationToken ct) => Client.CreateAsync(obj, ct);
    public Task<JsonObject> ApplyAsync(JsonObject obj, CancellationToken ct) => Client.ApplyAsync(obj, force: true, ct);
    public Task<JsonObject> MergePatchAsync(KubeResource resource, string? ns, string name, JsonObject patch, CancellationToken ct) =>
        Client.MergePatchAsync(resource, ns, name, patch, ct);

    public async Task<JsonObject?> WaitForAsync(KubeResource resource, string? ns, string name, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = await Client.GetAsync(resource, ns, name, ct).ConfigureAwait(false);
            if (found is not null || DateTime.UtcNow >= deadline) return found;
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>
/// A dry run's cluster: every object as YAML in one folder (&lt;DryRunPath&gt;/cluster/&lt;kind&gt;-&lt;namespace&gt;-&lt;name&gt;.yaml,
/// 0600 in a 0700 folder: Secrets are among them). Apply writes the object as rendered (nobody else manages fields
/// here); a merge patch is applied to the stored object, or to an empty one of that kind (a Node the kubelet would
/// register); create gives the object a uid derived from its kind, namespace and name, standing in for the one the API
/// server would assign, so that owner references can be rendered.
/// </summary>
public sealed class DryRunClusterStore : IClusterStore
{
    const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public DryRunClusterStore(string directory) => FolderPath = directory;

    /// <summary>The cluster folder of a dry run whose node folder is <paramref name="nodeDirectory"/> (&lt;DryRunPath&gt;/&lt;node&gt;): &lt;DryRunPath&gt;/cluster.</summary>
    public static string FolderFor(string nodeDirectory) =>
        Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(nodeDirectory))!, "cluster");

    /// <summary>The folder holding the objects.</summary>
    public string FolderPath { get; }

    public string Target => FolderPath;

    /// <summary>The file an object is stored in.</summary>
    public string PathOf(KubeResource resource, string? ns, string name)
    {
        var parts = new List<string> { resource.Kind };
        if (resource.Namespaced) parts.Add(ns ?? "default");
        parts.Add(name);
        var file = string.Join("-", parts.Select(Safe)) + ".yaml";
        return Path.Combine(FolderPath, file);
    }

    static string Safe(string s) => new(s.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray());

    public Task<JsonObject?> GetAsync(KubeResource resource, string? ns, string name, CancellationToken ct)
    {
        var path = PathOf(resource, ns, name);
        if (!File.Exists(path)) return Task.FromResult<JsonObject?>(null);
        var node = YamlTree.Read(File.ReadAllText(path), path);
        return Task.FromResult(node as JsonObject);
    }

    public Task<IReadOnlyList<JsonObject>> ListAsync(KubeResource resource, string? ns, string? fieldSelector, CancellationToken ct)
    {
        string? type = null;
        if (fieldSelector is not null)
            type = fieldSelector.StartsWith("type=", StringComparison.Ordinal) ? fieldSelector["type=".Length..]
                : throw new ArgumentException($"the dry-run cluster filters by type= only, not '{fieldSelector}'", nameof(fieldSelector));
        var list = new List<JsonObject>();
        if (Directory.Exists(FolderPath))
            foreach (var file in Directory.GetFiles(FolderPath, "*.yaml").Order(StringComparer.Ordinal))
                if (YamlTree.Read(File.ReadAllText(file), file) is JsonObject o && (string?)o["kind"] == resource.Kind
                    && (string?)o["apiVersion"] == resource.ApiVersion && (ns is null || (string?)o["metadata"]?["namespace"] == ns)
                    && (type is null || (string?)o["type"] == type))
                    list.Add(o);
        return Task.FromResult<IReadOnlyList<JsonObject>>(list);
    }

    public async Task<JsonObject> CreateAsync(JsonObject obj, CancellationToken ct)
    {
        var (resource, ns, name) = ClusterApplier.Identify(obj);
        if (await GetAsync(resource, ns, name, ct).ConfigureAwait(false) is not null)
            throw new KubeException("Api.AlreadyExists", $"{resource.Kind} {ns}/{name} already exists in the dry-run folder {FolderPath}.",
                KubeErrorCategory.ResourceExists, name);
        var created = (JsonObject)obj.DeepClone();
        var meta = (JsonObject)created["metadata"]!;
        meta["uid"] = StandInUid(resource, ns, name);
        Write(resource, ns, name, created);
        return created;
    }

    public Task<JsonObject> ApplyAsync(JsonObject obj, CancellationToken ct)
    {
        var (resource, ns, name) = ClusterApplier.Identify(obj);
        var stored = (JsonObject)obj.DeepClone();
        Write(resource, ns, name, stored);
        return Task.FromResult(stored);
    }

    public async Task<JsonObject> MergePatchAsync(KubeResource resource, string? ns, string name, JsonObject patch, CancellationToken ct)
    {
        var current = await GetAsync(resource, ns, name, ct).ConfigureAwait(false) ?? Empty(resource, ns, name);
        var patched = JsonTree.MergePatch(current, patch);
        (patched["metadata"] as JsonObject)?.Remove("resourceVersion");
        Write(resource, ns, name, patched);
        return patched;
    }

    /// <summary>Nothing runs in a dry run, so nothing appears: the object as stored, or null.</summary>
    public Task<JsonObject?> WaitForAsync(KubeResource resource, string? ns, string name, TimeSpan timeout, CancellationToken ct) =>
        GetAsync(resource, ns, name, ct);

    static JsonObject Empty(KubeResource resource, string? ns, string name)
    {
        var meta = new JsonObject { ["name"] = name };
        if (resource.Namespaced) meta["namespace"] = ns;
        return new JsonObject { ["apiVersion"] = resource.ApiVersion, ["kind"] = resource.Kind, ["metadata"] = meta };
    }

    /// <summary>A UUID made from the object's identity, so that a repeated dry run renders the same owner references.</summary>
    static string StandInUid(KubeResource resource, string? ns, string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"kubeps-dry-run/{resource.ApiVersion}/{resource.Kind}/{ns}/{name}"));
        hash[6] = (byte)((hash[6] & 0x0f) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3f) | 0x80);
        var hex = Convert.ToHexString(hash, 0, 16).ToLowerInvariant();
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }

    void Write(KubeResource resource, string? ns, string name, JsonObject obj)
    {
        if (!Directory.Exists(FolderPath))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(FolderPath);
            else Directory.CreateDirectory(FolderPath, PrivateDir);
        }
        var path = PathOf(resource, ns, name);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFile;
        using (var stream = new FileStream(temp, options))
            stream.Write(Encoding.UTF8.GetBytes(YamlTree.Write(obj)));
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose() { }
}

/// <summary>
/// The cluster when its control plane is not running because the changes that would start it were not made (-WhatIf
/// or a declined -Confirm): reads find nothing, so every object is described as one to create; a change that is
/// nevertheless allowed fails with <c>Init.ClusterUnavailable</c>.
/// </summary>
public sealed class UnavailableClusterStore(string target, string reason) : IClusterStore
{
    public string Target { get; } = target;

    public Task<JsonObject?> GetAsync(KubeResource resource, string? ns, string name, CancellationToken ct) => Task.FromResult<JsonObject?>(null);
    public Task<IReadOnlyList<JsonObject>> ListAsync(KubeResource resource, string? ns, string? fieldSelector, CancellationToken ct) => Task.FromResult<IReadOnlyList<JsonObject>>([]);
    public Task<JsonObject> CreateAsync(JsonObject obj, CancellationToken ct) => throw Unavailable();
    public Task<JsonObject> ApplyAsync(JsonObject obj, CancellationToken ct) => throw Unavailable();
    public Task<JsonObject> MergePatchAsync(KubeResource resource, string? ns, string name, JsonObject patch, CancellationToken ct) => throw Unavailable();
    public Task<JsonObject?> WaitForAsync(KubeResource resource, string? ns, string name, TimeSpan timeout, CancellationToken ct) => Task.FromResult<JsonObject?>(null);

    KubeException Unavailable() => new("Init.ClusterUnavailable",
        $"The API server {Target} is not running: {reason}", KubeErrorCategory.ResourceUnavailable, Target,
        "Run without -WhatIf (and answer yes to the earlier changes) so that the control plane is started first.");

    public void Dispose() { }
}
