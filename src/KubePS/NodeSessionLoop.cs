using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;

namespace KubePS;

/// <summary>
/// Runs a per-node Core operation for each session, one node after the other; a node's failure becomes a
/// non-terminating error for that node and the others go on. (The fleet runner replaces this with parallel runs.)
/// </summary>
internal static class NodeSessionLoop
{
    public static async Task ForEachAsync(IEnumerable<KubeNodeSession> sessions, IOperationSink sink, CancellationToken cancellationToken,
        string activity, Func<KubeNodeSession, Task> work)
    {
        var list = sessions.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var session = list[i];
            sink.WriteProgress(new ProgressInfo(1, activity, session.HostName) { PercentComplete = 100 * i / Math.Max(1, list.Count) });
            try
            {
                await work(session).ConfigureAwait(false);
            }
            catch (KubeException e)
            {
                sink.WriteError(e.Target is null ? new KubeException(e.ErrorId, e.Message, e.Category, session.HostName, e.RecommendedAction, e) : e);
            }
        }
        sink.WriteProgress(new ProgressInfo(1, activity, "done") { Completed = true, PercentComplete = 100 });
    }

    /// <summary>An enum value from a validated string parameter (cmdlet classes keep Core enums out of their fields).</summary>
    public static T Parse<T>(string value) where T : struct, Enum => Enum.Parse<T>(value, ignoreCase: true);
}
