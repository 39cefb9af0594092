using KubePS.Core.Manifests;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Preflight;

namespace KubePS.Core.Workflows;

/// <summary>
/// What the preflight phases of init and join share: kubeadm's checks evaluated from the facts gathered up front, a
/// failed check that an earlier run of the same init or join explains written as verbose, any other failure stopping the
/// workflow before a file is written; and the checks of the control-plane components whose manifests the node already
/// holds exactly as this run renders them.
/// </summary>
static class ControlPlanePreflight
{
    /// <summary>
    /// Runs the checks of <see cref="ControlPlaneContext.PreflightRequest"/> on the node's facts (none in a dry run: a
    /// warning says so). <paramref name="ownChecks"/> is asked once, after the checks ran, for what tells a check this
    /// run explains; <paramref name="whyOwn"/> says why in the verbose line.
    /// </summary>
    public static void Run(ControlPlaneContext c, IOperationSink sink, Func<Func<string, bool>> ownChecks, string whyOwn)
    {
        if (c.Facts is null)
        {
            sink.WriteWarning($"{c.Node.HostName}: [preflight] a dry run has no node to check; the preflight checks did not run");
            return;
        }
        var report = PreflightRunner.Evaluate(c.Facts, c.PreflightRequest, sink);
        var isOwn = ownChecks();
        foreach (var w in report.Warnings) sink.WriteWarning(w.ToString());
        var blocking = new List<KubePreflightResult>();
        foreach (var e in report.Errors)
        {
            if (isOwn(e.Check)) sink.WriteVerbose($"{c.Node.HostName}: [preflight] {e.Check}: {whyOwn}");
            else blocking.Add(e);
        }
        if (blocking.Count > 0) throw new KubePreflightReport(report.HostName, blocking).ToException();
    }

    /// <summary>kubeadm's name of the check that a file is absent: FileAvailable- and the path with '-' for '/'.</summary>
    public static string FileCheck(string path) => "FileAvailable-" + path.Replace('/', '-');

    /// <summary>kubeadm's name of the check that a folder is absent or empty.</summary>
    public static string DirCheck(string path) => "DirAvailable-" + path.TrimEnd('/').Replace('/', '-');

    /// <summary>True when the node holds exactly <paramref name="rendered"/> at its path.</summary>
    public static bool Holds(ControlPlaneContext c, NodeFile rendered) => c.Node.Current(rendered.Path) is { } b && b.AsSpan().SequenceEqual(rendered.Content);

    /// <summary>
    /// The port and manifest checks of kube-apiserver, kube-controller-manager and kube-scheduler, for each whose
    /// manifest on the node is exactly the one this run renders.
    /// </summary>
    public static void AddOwnComponents(ControlPlaneContext c, ControlPlaneManifestRequest request, HashSet<string> own)
    {
        var api = StaticPodManifests.KubeApiServer(request);
        if (Holds(c, api)) own.UnionWith([$"Port-{c.Configuration.BindPort}", FileCheck(api.Path)]);
        var kcm = StaticPodManifests.KubeControllerManager(request);
        if (Holds(c, kcm)) own.UnionWith([$"Port-{c.Release.ControllerManagerSecurePort}", FileCheck(kcm.Path)]);
        var scheduler = StaticPodManifests.KubeScheduler(request);
        if (Holds(c, scheduler)) own.UnionWith([$"Port-{c.Release.SchedulerSecurePort}", FileCheck(scheduler.Path)]);
    }
}
