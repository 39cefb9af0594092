using KubePS.Core.Cluster;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Reset;

/// <summary>
/// drain (with RemoveFromCluster): kubectl drain NODE --delete-emptydir-data --force --ignore-daemonsets, as
/// kubeadm's reset documentation tells the user to do before a reset.
/// </summary>
sealed class DrainPhase : Phase<ResetContext>
{
    public override string Name => "drain";
    public override string Summary => "Cordon the Node and evict its pods";
    public override bool ShouldRun(ResetContext c) => c.Request.RemoveFromCluster && c.Request.Api is not null;

    public override async Task RunAsync(ResetContext c, IOperationSink sink, CancellationToken ct)
    {
        var name = c.NodeName ?? throw new KubeException("Reset.NodeNameUnknown", $"{c.HostName}: the Node's name could not be read from the node.",
            KubeErrorCategory.ObjectNotFound, c.HostName, "Give -NodeName.");
        var api = c.Request.Api!;
        if (await api.GetAsync(Api.KubeResource.Node, null, name, ct).ConfigureAwait(false) is null)
        {
            sink.WriteVerbose($"{c.HostName}: the cluster has no Node {name}: nothing to drain");
            return;
        }
        var options = new DrainOptions { Timeout = c.Request.DrainTimeout, Force = true, IgnoreDaemonSets = true, DeleteEmptyDirData = true };
        // Asked once for the whole reset: no second question here.
        var result = await NodeDrain.SuspendAsync(api, name, drain: true, options, new Unasked(sink), ct).ConfigureAwait(false);
        c.Removed.AddRange(result!.Evicted.Select(p => "pod " + p + " (evicted)"));
    }

    /// <summary>Passes everything on but answers ShouldChange itself (the reset was confirmed already).</summary>
    internal sealed class Unasked(IOperationSink inner) : IOperationSink
    {
        public void WriteObject(object value) => inner.WriteObject(value);
        public void WriteVerbose(string message) => inner.WriteVerbose(message);
        public void WriteWarning(string message) => inner.WriteWarning(message);
        public void WriteDebug(string message) => inner.WriteDebug(message);
        public void WriteProgress(ProgressInfo progress) => inner.WriteProgress(progress);
        public void WriteError(KubeException error) => inner.WriteError(error);
        public Task<bool> ShouldChangeAsync(string target, string action, CancellationToken cancellationToken) => Task.FromResult(true);
    }
}
