using System.Collections.Concurrent;
using KubePS.Core;
using KubePS.Core.Operations;

namespace KubePS.Tests.Nodes;

/// <summary>
/// An IOperationSink that keeps everything it is told, in order, from any thread; its questions read "{action} on {target}".
/// Only the Day2 tests still use it (they parse that text); every other test uses <see cref="Infrastructure.CapturingSink"/>.
/// </summary>
public sealed class RecordingSink(bool answer = true) : IOperationSink
{
    public ConcurrentQueue<object> Objects { get; } = new();
    public ConcurrentQueue<string> Verbose { get; } = new();
    public ConcurrentQueue<KubeException> Errors { get; } = new();
    public ConcurrentQueue<ProgressInfo> Progress { get; } = new();
    public ConcurrentQueue<string> Questions { get; } = new();

    public void WriteObject(object value) => Objects.Enqueue(value);
    public void WriteVerbose(string message) => Verbose.Enqueue(message);
    public void WriteWarning(string message) { }
    public void WriteDebug(string message) { }
    public void WriteProgress(ProgressInfo progress) => Progress.Enqueue(progress);
    public void WriteError(KubeException error) => Errors.Enqueue(error);

    public Task<bool> ShouldChangeAsync(string target, string action, CancellationToken cancellationToken)
    {
        Questions.Enqueue($"{action} on {target}");
        return Task.FromResult(answer);
    }
}
