using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Upgrade;

/// <summary>The mirror pod of a static pod as the API shows it: its config hash and readiness.</summary>
public sealed record MirrorPodState(string? Hash, bool Ready, string Image);

/// <summary>
/// kubeadm's per-component static pod upgrade: the new manifest replaces the old one (written beside it and renamed
/// over it), then the mirror pod's kubernetes.io/config.hash must change and the pod must become Ready within the
/// timeout; otherwise the backed-up manifest is put back (rollback) and the component reported.
/// </summary>
public static class StaticPodUpgrade
{
    public const string HashAnnotation = "kubernetes.io/config.hash";

    /// <summary>The mirror pod &lt;component&gt;-&lt;node&gt; in kube-system, or null when the API has none (or does not answer).</summary>
    public static async Task<MirrorPodState?> MirrorPodAsync(KubeApiClient api, string component, string node, CancellationToken ct)
    {
        JsonObject? pod;
        try { pod = await api.GetAsync(KubeResource.Pod, "kube-system", $"{component}-{node}", ct).ConfigureAwait(false); }
        catch (KubeException e) when (e.ErrorId is "Api.Unreachable" or "Api.ServerError" or "Api.TooManyRequests") { return null; }
        if (pod is null) return null;
        bool ready = (pod["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>()
            .Any(c => (string?)c["type"] == "Ready" && (string?)c["status"] == "True") == true;
        return new MirrorPodState((string?)pod["metadata"]?["annotations"]?[HashAnnotation], ready, (string?)pod["spec"]?["containers"]?[0]?["image"] ?? "");
    }

    /// <summary>Waits until the mirror pod has a hash other than <paramref name="oldHash"/> and is Ready; false at the timeout.</summary>
    public static async Task<bool> WaitChangedAndReadyAsync(KubeApiClient api, string component, string node, string? oldHash, TimeSpan timeout,
        CancellationToken ct, TimeSpan? poll = null)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var s = await MirrorPodAsync(api, component, node, ct).ConfigureAwait(false);
            if (s is { Ready: true } && s.Hash is not null && s.Hash != oldHash) return true;
            await Task.Delay(poll ?? TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>
    /// Replaces one component's manifest and waits for it; on failure restores <paramref name="backup"/> and waits for the
    /// old pod again. Returns true when the new manifest came up, false when it was rolled back.
    /// </summary>
    public static async Task<bool> ReplaceAsync(KubeNodeSession session, KubeApiClient cluster, string nodeName, string component, string manifestPath,
        byte[] manifest, byte[] backup, TimeSpan timeout, IOperationSink sink, CancellationToken ct)
    {
        // Polls answer at once while the API server restarts, instead of retrying for the client's budget.
        using var api = new KubeApiClient(cluster.Credentials, TimeSpan.FromSeconds(5), TimeSpan.Zero);
        var before = await MirrorPodAsync(api, component, nodeName, ct).ConfigureAwait(false);
        await session.WriteFilesAsync([new NodeFile(manifestPath, manifest, 0b110_000_000)], ct).ConfigureAwait(false);
        sink.WriteVerbose($"{session.HostName}: wrote {manifestPath}; waiting for {component}-{nodeName} to restart and be Ready");
        if (await WaitChangedAndReadyAsync(api, component, nodeName, before?.Hash, timeout, ct).ConfigureAwait(false))
        {
            sink.WriteVerbose($"{session.HostName}: {component} is Ready on the new manifest");
            return true;
        }
        sink.WriteWarning($"{session.HostName}: {component} did not become Ready within {timeout.TotalSeconds:0} s on the new manifest; putting the old one back");
        await session.WriteFilesAsync([new NodeFile(manifestPath, backup, 0b110_000_000)], ct).ConfigureAwait(false);
        if (!await WaitChangedAndReadyAsync(api, component, nodeName, null, timeout, ct).ConfigureAwait(false))
            sink.WriteWarning($"{session.HostName}: {component} was not Ready again on the restored manifest within {timeout.TotalSeconds:0} s either");
        return false;
    }
}
