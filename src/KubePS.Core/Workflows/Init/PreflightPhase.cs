using KubePS.Core.Manifests;
using KubePS.Core.Operations;
using KubePS.Core.Preflight;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// preflight: kubeadm's init checks, evaluated from the facts gathered up front. What makes a re-run of the same init
/// fail in kubeadm (its own API server on 6443, its own manifests and etcd data) is recognised: a check is this
/// control plane's own when the node already holds exactly the manifest (or kubelet configuration) this init renders
/// for the component behind it. Anything else that fails stops init here, before a file is written.
/// </summary>
sealed class PreflightPhase : Phase<InitContext>
{
    public override string Name => "preflight";
    public override string Summary => "Run kubeadm's preflight checks on the node";

    public override Task RunAsync(InitContext c, IOperationSink sink, CancellationToken ct)
    {
        if (c.Facts is null)
        {
            sink.WriteWarning($"{c.Node.HostName}: [preflight] a dry run has no node to check; the preflight checks did not run");
            return Task.CompletedTask;
        }
        var report = PreflightRunner.Evaluate(c.Facts, c.PreflightRequest, sink);
        var own = OwnChecks(c);
        foreach (var w in report.Warnings) sink.WriteWarning(w.ToString());
        var blocking = new List<KubePreflightResult>();
        foreach (var e in report.Errors)
        {
            if (own.Contains(e.Check)) sink.WriteVerbose($"{c.Node.HostName}: [preflight] {e.Check}: held by this control plane (a re-run of the same init)");
            else blocking.Add(e);
        }
        if (blocking.Count > 0) throw new KubePreflightReport(report.HostName, blocking).ToException();
        return Task.CompletedTask;
    }

    /// <summary>The checks a previous run of this same init explains: each component's port, manifest and data.</summary>
    static HashSet<string> OwnChecks(InitContext c)
    {
        var own = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var request = c.ManifestRequest();
        bool Ours(Nodes.NodeFile rendered) => c.Node.Current(rendered.Path) is { } b && b.AsSpan().SequenceEqual(rendered.Content);
        static string FileCheck(string path) => "FileAvailable-" + path.Replace('/', '-');

        var api = StaticPodManifests.KubeApiServer(request);
        if (Ours(api)) own.UnionWith([$"Port-{c.Configuration.BindPort}", FileCheck(api.Path)]);
        var kcm = StaticPodManifests.KubeControllerManager(request);
        if (Ours(kcm)) own.UnionWith([$"Port-{c.Release.ControllerManagerSecurePort}", FileCheck(kcm.Path)]);
        var scheduler = StaticPodManifests.KubeScheduler(request);
        if (Ours(scheduler)) own.UnionWith([$"Port-{c.Release.SchedulerSecurePort}", FileCheck(scheduler.Path)]);
        if (!c.Configuration.IsExternalEtcd)
        {
            var etcd = StaticPodManifests.Etcd(request);
            if (Ours(etcd))
                own.UnionWith(["Port-2379", "Port-2380", FileCheck(etcd.Path), "DirAvailable-" + c.Configuration.EtcdDataDir.TrimEnd('/').Replace('/', '-')]);
        }
        var kubelet = KubeletFiles.Config(c.KubeletRequest()).File;
        if (Ours(kubelet)) own.Add("Port-10250");
        return own;
    }
}
