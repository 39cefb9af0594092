using System.Diagnostics;
using KubePS.Core.Operations;

namespace KubePS.Core.Nodes;

/// <summary>What one node's part of a fleet operation came to.</summary>
public sealed record FleetResult<TItem, TResult>(TItem Item, string Name, TResult? Value, KubeException? Error, TimeSpan Duration)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Runs one async operation per node, in parallel up to a throttle limit. Progress: one parent activity for the
/// operation and one child per node, each child always Completed (also on failure). A node whose operation throws is
/// reported with <see cref="IOperationSink.WriteError"/> (a non-terminating error with the node as target) while
/// the others go on. Cancellation stops everything and is rethrown.
/// </summary>
public static class NodeFleet
{
    public const int DefaultThrottleLimit = 32;

    static int _nextActivityId = 1000;

    /// <summary>Runs <paramref name="operation"/> on every session. Results come back in the order of <paramref name="sessions"/>.</summary>
    public static Task<IReadOnlyList<FleetResult<KubeNodeSession, TResult>>> RunAsync<TResult>(
        IReadOnlyList<KubeNodeSession> sessions, string activity,
        Func<KubeNodeSession, CancellationToken, Task<TResult>> operation,
        IOperationSink sink, int throttleLimit = DefaultThrottleLimit, CancellationToken cancellationToken = default) =>
        RunAsync(sessions, s => s.HostName, activity, operation, sink, throttleLimit, cancellationToken);

    /// <summary>
    /// Runs <paramref name="operation"/> on every item (sessions, host names to open, ...). <paramref name="nameOf"/> gives
    /// the node name for progress and errors. Results come back in the order of <paramref name="items"/>.
    /// </summary>
    public static async Task<IReadOnlyList<FleetResult<TItem, TResult>>> RunAsync<TItem, TResult>(
        IReadOnlyList<TItem> items, Func<TItem, string> nameOf, string activity,
        Func<TItem, CancellationToken, Task<TResult>> operation,
        IOperationSink sink, int throttleLimit = DefaultThrottleLimit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(sink);
        if (throttleLimit < 1)
            throw new KubeException("Node.InvalidThrottleLimit", $"The throttle limit {throttleLimit} is not valid.", KubeErrorCategory.InvalidArgument,
                throttleLimit, $"Give a number from 1 up (the default is {DefaultThrottleLimit}).");
        var results = new FleetResult<TItem, TResult>[items.Count];
        if (items.Count == 0) return results;

        int parentId = Interlocked.Add(ref _nextActivityId, items.Count + 1) - items.Count;
        int done = 0;
        var progressGate = new object();
        void Parent(bool completed = false)
        {
            var finished = Volatile.Read(ref done);
            sink.WriteProgress(new ProgressInfo(parentId, activity, $"{finished} of {items.Count} node(s) done")
            {
                PercentComplete = completed ? 100 : finished * 100 / items.Count,
                Completed = completed,
            });
        }

        using var throttle = new SemaphoreSlim(throttleLimit);
        Parent();
        try
        {
            var tasks = items.Select(async (item, index) =>
            {
                var name = nameOf(item);
                await throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
                var child = new ProgressInfo(parentId + 1 + index, name, activity) { ParentActivityId = parentId, CurrentOperation = $"{name}: {activity}" };
                var clock = Stopwatch.StartNew();
                sink.WriteProgress(child);
                try
                {
                    var value = await operation(item, cancellationToken).ConfigureAwait(false);
                    results[index] = new FleetResult<TItem, TResult>(item, name, value, null, clock.Elapsed);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception e)
                {
                    var error = ForNode(e, item, name, activity);
                    results[index] = new FleetResult<TItem, TResult>(item, name, default, error, clock.Elapsed);
                    sink.WriteError(error);
                }
                finally
                {
                    throttle.Release();
                    sink.WriteProgress(child with { Status = results[index]?.Succeeded == false ? "failed" : "done", Completed = true, PercentComplete = 100 });
                    lock (progressGate)
                    {
                        Interlocked.Increment(ref done);
                        Parent();
                    }
                }
            }).ToList();
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        finally
        {
            lock (progressGate) Parent(completed: true);
        }
        return results;
    }

    /// <summary>The error as it is reported for the node: a KubeException whose target is the node's item.</summary>
    static KubeException ForNode<TItem>(Exception e, TItem item, string name, string activity)
    {
        if (e is KubeException k)
            return ReferenceEquals(k.Target, item) ? k : new KubeException(k.ErrorId, k.Message, k.Category, item, k.RecommendedAction, k);
        return new KubeException("Node.OperationFailed", $"{activity} on {name}: {e.Message}", KubeErrorCategory.NotSpecified, item,
            "This is unexpected; run again with -Verbose and report it if it persists.", e);
    }
}
