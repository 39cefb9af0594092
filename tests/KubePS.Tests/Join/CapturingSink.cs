using System.Collections.Concurrent;
using KubePS.Core;
using KubePS.Core.Operations;

namespace KubePS.Tests.Join;

/// <summary>An IOperationSink that keeps every stream (objects, verbose, warnings, debug, progress, errors, questions) to search.</summary>
public sealed class CapturingSink(bool answer = true) : IOperationSink
{
    public ConcurrentQueue<object> Objects { get; } = new();
    public ConcurrentQueue<string> Verbose { get; } = new();
    public ConcurrentQueue<string> Warnings { get; } = new();
    public ConcurrentQueue<string> Debug { get; } = new();
    public ConcurrentQueue<ProgressInfo> Progress { get; } = new();
    public ConcurrentQueue<KubeException> Errors { get; } = new();
    public ConcurrentQueue<string> Questions { get; } = new();

    public void WriteObject(object value) => Objects.Enqueue(value);
    public void WriteVerbose(string message) => Verbose.Enqueue(message);
    public void WriteWarning(string message) => Warnings.Enqueue(message);
    public void WriteDebug(string message) => Debug.Enqueue(message);
    public void WriteProgress(ProgressInfo progress) => Progress.Enqueue(progress);
    public void WriteError(KubeException error) => Errors.Enqueue(error);

    public Task<bool> ShouldChangeAsync(string target, string action, CancellationToken cancellationToken)
    {
        Questions.Enqueue($"{action} on {target}");
        return Task.FromResult(answer);
    }

    /// <summary>Everything a user could see on any stream, as text (objects by ToString and every public property value).</summary>
    public string AllText()
    {
        var parts = new List<string>();
        parts.AddRange(Verbose); parts.AddRange(Warnings); parts.AddRange(Debug); parts.AddRange(Questions);
        parts.AddRange(Progress.Select(p => $"{p.Activity} {p.Status} {p.CurrentOperation}"));
        parts.AddRange(Errors.Select(Describe));
        parts.AddRange(Objects.Select(PublicText));
        return string.Join("\n", parts);
    }

    /// <summary>An exception as Get-Error shows it: message, every public property, inner exceptions.</summary>
    public static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
            parts.Add(PublicText(x));
        return string.Join("\n", parts);
    }

    /// <summary>ToString plus the ToString of every public property value (one level, lists expanded), as Format-List * would show.</summary>
    public static string PublicText(object o)
    {
        var parts = new List<string> { o.ToString() ?? "" };
        foreach (var p in o.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0))
        {
            object? v;
            try { v = p.GetValue(o); } catch { continue; }
            if (v is System.Collections.IEnumerable list and not string)
                foreach (var item in list) parts.Add($"{p.Name}={item}");
            else parts.Add($"{p.Name}={v}");
        }
        return string.Join("\n", parts);
    }
}
