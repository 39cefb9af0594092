using System.Threading.Channels;

namespace KubePS.Core.Operations;

/// <summary>
/// Runs Core work on the thread pool and delivers everything it reports on the calling thread, which for a cmdlet
/// is the pipeline thread (PowerShell throws when Write* or ShouldProcess is called from any other thread).
/// Progress activities still open when the work ends (success, failure or cancellation) are completed, children
/// first, so that a terminal never keeps a stale progress bar.
/// </summary>
public static class OperationPump
{
    /// <summary>
    /// Runs <paramref name="work"/> and pumps its events into <paramref name="host"/> until it ends.
    /// Returns normally on success; rethrows the work's exception; throws OperationCanceledException when
    /// <paramref name="stop"/> is cancelled.
    /// </summary>
    public static void Run(IOperationHost host, Func<IOperationSink, CancellationToken, Task> work, CancellationTokenSource stop)
    {
        var channel = Channel.CreateUnbounded<Action<IOperationHost>>(new UnboundedChannelOptions { SingleReader = true });
        var sink = new ChannelSink(channel.Writer);
        var token = stop.Token;
        var task = Task.Run(() => work(sink, token), token);
        task.ContinueWith(_ => channel.Writer.TryComplete(), TaskScheduler.Default);
        try
        {
            while (channel.Reader.WaitToReadAsync(token).AsTask().GetAwaiter().GetResult())
                while (channel.Reader.TryRead(out var action))
                    action(host);
            task.GetAwaiter().GetResult();
        }
        finally
        {
            if (!task.IsCompleted)
            {
                // A host call threw (e.g. -ErrorAction Stop, a declined prompt in -NonInteractive) or we were stopped:
                // cancel the work and give it a moment to let go of its connections.
                stop.Cancel();
                try { task.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
            }
            foreach (var open in sink.OpenActivities())
            {
                try { host.WriteProgress(open with { Completed = true, PercentComplete = 100 }); } catch { /* host is gone */ }
            }
        }
    }

    sealed class ChannelSink(ChannelWriter<Action<IOperationHost>> writer) : IOperationSink
    {
        readonly object _gate = new();
        readonly Dictionary<int, ProgressInfo> _open = new();

        public void WriteObject(object value) => writer.TryWrite(h => h.WriteObject(value));
        public void WriteVerbose(string message) => writer.TryWrite(h => h.WriteVerbose(message));
        public void WriteWarning(string message) => writer.TryWrite(h => h.WriteWarning(message));
        public void WriteDebug(string message) => writer.TryWrite(h => h.WriteDebug(message));
        public void WriteError(KubeException error) => writer.TryWrite(h => h.WriteError(error));

        public void WriteProgress(ProgressInfo progress)
        {
            lock (_gate)
            {
                if (progress.Completed) _open.Remove(progress.ActivityId);
                else _open[progress.ActivityId] = progress;
            }
            writer.TryWrite(h => h.WriteProgress(progress));
        }

        public Task<bool> ShouldChangeAsync(string target, string action, CancellationToken cancellationToken)
        {
            var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var reg = cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
            tcs.Task.ContinueWith(_ => reg.Dispose(), TaskScheduler.Default);
            if (!writer.TryWrite(h =>
                {
                    try { tcs.TrySetResult(h.ShouldChange(target, action)); }
                    catch (Exception x) { tcs.TrySetException(x); throw; }
                }))
                tcs.TrySetCanceled();
            return tcs.Task;
        }

        /// <summary>Open activities, children before their parents.</summary>
        public IReadOnlyList<ProgressInfo> OpenActivities()
        {
            lock (_gate)
            {
                return _open.Values.OrderByDescending(p => Depth(p)).ToList();
            }
        }

        int Depth(ProgressInfo p)
        {
            int d = 0;
            var cur = p;
            while (cur.ParentActivityId >= 0 && _open.TryGetValue(cur.ParentActivityId, out var parent) && d < 32) { d++; cur = parent; }
            return d;
        }
    }
}
