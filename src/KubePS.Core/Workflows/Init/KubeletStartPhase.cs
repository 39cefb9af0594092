using KubePS.Core.Manifests;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// kubelet-start: /var/lib/kubelet/kubeadm-flags.env, config.yaml (and instance-config.yaml from 1.34), kubeadm's
/// systemd drop-in (and a kubelet unit) when no package brought one, then the kubelet enabled and (re)started. The
/// kubelet is restarted only when one of its files changed or it is not running, so a re-run leaves it alone.
/// </summary>
public sealed class KubeletStartPhase<TContext> : Phase<TContext> where TContext : ControlPlaneContext
{
    public override string Name => "kubelet-start";
    public override string Summary => "Write kubelet settings and (re)start the kubelet";

    public override async Task RunAsync(TContext c, IOperationSink sink, CancellationToken ct)
    {
        var request = c.KubeletRequest();
        var config = KubeletFiles.Config(request);
        foreach (var w in config.Warnings) sink.WriteWarning($"{c.Node.HostName}: [{Name}] {w}");
        var files = KubeletFiles.KubeletStart(request)
            .Select(f => new NodeFile(f.Path, f.Content, f.Mode, f.Owner, f.Group) { DirectoryMode = KubeletFiles.KubeletDirMode })
            .ToList();
        var units = Units(c);
        var written = await c.Node.WriteAsync(Name, [.. files, .. units], ct).ConfigureAwait(false);

        bool unitsWritten = written.Any(p => units.Any(u => u.Path == p));
        // What the node said about the kubelet service; only systemd answers for enablement (else: not known).
        var kubelet = c.Facts?.Services.GetValueOrDefault("kubelet");
        bool? enabled = c.Facts?.InitSystem == InitSystemKind.Systemd ? kubelet?.IsEnabled : null;
        bool? active = c.Facts?.InitSystem == InitSystemKind.Systemd ? kubelet?.IsActive : null;
        var script = new List<string> { "set -e" };
        if (unitsWritten) script.Add("systemctl daemon-reload");
        if (enabled == false || (enabled is null && written.Count > 0)) script.Add("systemctl enable kubelet");
        if (written.Count > 0 || active == false) script.Add("systemctl restart kubelet");
        if (script.Count == 1)
        {
            sink.WriteVerbose($"{c.Node.HostName}: [{Name}] the kubelet runs with these settings already");
            return;
        }
        await c.Node.RunAsync(Name, string.Join(", ", script.Skip(1)), string.Join("\n", script) + "\n", TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// kubeadm's drop-in (and a kubelet unit, when there is none either) when no package put a drop-in on the node.
    /// An existing hand-made unit or drop-in is left as it is.
    /// </summary>
    static List<NodeFile> Units(TContext c)
    {
        if (ControlPlaneContext.KubeletDropInPaths.Any(c.Node.Exists)) return [];
        string kubeletPath = c.Facts?.Tools.GetValueOrDefault("kubelet") is { Length: > 0 } p && p.StartsWith('/') ? p : KubeletSystemdUnits.DefaultKubeletPath;
        string extraArgs = c.Facts?.PackageManager is Nodes.PackageManagerKind.Dnf or Nodes.PackageManagerKind.Yum or Nodes.PackageManagerKind.Zypper
            ? KubeletSystemdUnits.RpmExtraArgsFile : KubeletSystemdUnits.DebianExtraArgsFile;
        var rendered = KubeletSystemdUnits.Render(kubeletPath, KubeletSystemdUnits.DefaultUnitDir, extraArgs);
        bool unitExists = ControlPlaneContext.KubeletUnitPaths.Any(c.Node.Exists);
        return rendered.Where(f => f.Path.EndsWith(".conf", StringComparison.Ordinal) || !unitExists).ToList();
    }
}
