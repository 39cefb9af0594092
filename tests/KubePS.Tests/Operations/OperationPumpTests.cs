using System.Collections.Concurrent;
using KubePS.Core;
using KubePS.Core.Operations;
using Xunit;

namespace KubePS.Tests.Operations;

/// <summary>
/// The pump is what keeps PowerShell's pipeline-thread rule: every Write*/ShouldProcess reaches the host on the thread
/// that called Run, whatever thread the Core work reported from.
/// </summary>
public sealed class OperationPumpTests
{
    sealed class RecordingHost : IOperationHost
    {
        public readonly int Thread = Environment.CurrentManagedThreadId;
        public readonly List<string> Events = new();
        public readonly ConcurrentBag<int> CallThreads = new();
        public Func<string, string, bool> Answer = (_, _) => true;
        public Action<KubeException>? OnError;

        void Note(string e) { CallThreads.Add(Environment.CurrentManagedThreadId); Events.Add(e); }
        public void WriteObject(object value) => Note("object:" + value);
        public void WriteVerbose(string message) => Note("verbose:" + message);
        public void WriteWarning(string message) => Note("warning:" + message);
        public void WriteDebug(string message) => Note("debug:" + message);
        public void WriteProgress(ProgressInfo p) => Note($"progress:{p.ActivityId}:{(p.Completed ? "done" : p.Status)}");
        public void WriteError(KubeException error) { Note("error:" + error.ErrorId); OnError?.Invoke(error); }
        public bool ShouldChange(string target, string action) { Note($"should:{target}:{action}"); return Answer(target, action); }
    }

    [Fact]
    public void Events_from_many_worker_threads_reach_the_host_on_the_calling_thread()
    {
        var host = new RecordingHost();
        OperationPump.Run(host, async (sink, ct) =>
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                await Task.Yield();
                sink.WriteVerbose($"n{i}: step");
                sink.WriteObject(i);
            }, ct)));
        }, new CancellationTokenSource());

        Assert.Equal(16, host.Events.Count);
        Assert.All(host.CallThreads, t => Assert.Equal(host.Thread, t));
    }

    [Fact]
    public void ShouldChange_is_answered_by_the_host_and_a_no_skips_the_change()
    {
        var host = new RecordingHost { Answer = (target, _) => target != "cp2" };
        var changed = new ConcurrentBag<string>();
        OperationPump.Run(host, async (sink, ct) =>
        {
            foreach (var n in new[] { "cp1", "cp2", "cp3" })
                if (await sink.ShouldChangeAsync(n, "Write manifests", ct)) changed.Add(n);
        }, new CancellationTokenSource());

        Assert.Equal(new[] { "cp1", "cp3" }, changed.OrderBy(x => x));
        Assert.Equal(3, host.Events.Count(e => e.StartsWith("should:")));
        Assert.All(host.CallThreads, t => Assert.Equal(host.Thread, t));
    }

    [Fact]
    public void A_KubeException_from_the_work_reaches_the_caller_unchanged()
    {
        var host = new RecordingHost();
        var e = Assert.Throws<KubeException>(() => OperationPump.Run(host, (_, _) =>
            throw new KubeException("Config.OverlappingSubnets", "10.96.0.0/12 overlaps 10.96.0.0/16"), new CancellationTokenSource()));
        Assert.Equal("Config.OverlappingSubnets", e.ErrorId);
    }

    [Fact]
    public void Open_progress_is_completed_children_first_when_the_work_fails()
    {
        var host = new RecordingHost();
        Assert.Throws<KubeException>(() => OperationPump.Run(host, (sink, _) =>
        {
            sink.WriteProgress(new ProgressInfo(1, "Init", "running"));
            sink.WriteProgress(new ProgressInfo(10, "cp1", "certs") { ParentActivityId = 1 });
            sink.WriteProgress(new ProgressInfo(11, "cp2", "certs") { ParentActivityId = 1 });
            sink.WriteProgress(new ProgressInfo(11, "cp2", "done") { ParentActivityId = 1, Completed = true });
            throw new KubeException("Node.Unreachable", "cp1 unreachable", KubeErrorCategory.ConnectionError);
        }, new CancellationTokenSource()));

        var completions = host.Events.Where(e => e.EndsWith(":done")).ToList();
        Assert.Equal(new[] { "progress:11:done", "progress:10:done", "progress:1:done" }, completions);
    }

    [Fact]
    public async Task Cancelling_stops_the_work_and_Run_throws_OperationCanceled()
    {
        var host = new RecordingHost();
        var cts = new CancellationTokenSource();
        var started = new ManualResetEventSlim();
        var runner = Task.Run(() => OperationPump.Run(host, async (sink, ct) =>
        {
            started.Set();
            await Task.Delay(Timeout.Infinite, ct);
        }, cts));
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner);
    }

    [Fact]
    public async Task A_host_that_throws_while_writing_cancels_the_work()
    {
        // -ErrorAction Stop makes WriteError throw inside the pump; the Core work must then be cancelled, not leaked.
        var host = new RecordingHost { OnError = _ => throw new InvalidOperationException("stop requested by the host") };
        var cts = new CancellationTokenSource();
        var workCancelled = new TaskCompletionSource();
        Assert.Throws<InvalidOperationException>(() => OperationPump.Run(host, async (sink, ct) =>
        {
            sink.WriteError(new KubeException("Node.Unreachable", "w1 unreachable", KubeErrorCategory.ConnectionError));
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { workCancelled.SetResult(); throw; }
        }, cts));
        Assert.True(cts.IsCancellationRequested);
        await workCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
