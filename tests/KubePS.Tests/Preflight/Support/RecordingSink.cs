using KubePS.Core;
using KubePS.Core.Operations;

namespace KubePS.Tests.Preflight.Support;

/// <summary>TEST-ONLY operation sink: records everything and answers ShouldChange with a fixed answer (or a function).</summary>
public sealed class RecordingSink : IOperationSink
{
    readonly Func<string, string, bool> _answer;

    public RecordingSink(bool answer = true) : this((_, _) => answer) { }
    public RecordingSink(Func<string, string, bool> answer) { _answer = answer; }

    public List<object> Objects { get; } = [];
    public List<string> Verbose { get; } = [];
    public List<string> Warnings { get; } = [];
    public List<KubeException> Errors { get; } = [];
    public List<(string Target, string Action)> Questions { get; } = [];

    public void WriteObject(object value) { lock (Objects) Objects.Add(value); }
    public void WriteVerbose(string message) { lock (Verbose) Verbose.Add(message); }
    public void WriteWarning(string message) { lock (Warnings) Warnings.Add(message); }
    public void WriteDebug(string message) { }
    public void WriteProgress(ProgressInfo progress) { }
    public void WriteError(KubeException error) { lock (Errors) Errors.Add(error); }

    public Task<bool> ShouldChangeAsync(string target, string action, CancellationToken cancellationToken)
    {
        lock (Questions) Questions.Add((target, action));
        return Task.FromResult(_answer(target, action));
    }
}
