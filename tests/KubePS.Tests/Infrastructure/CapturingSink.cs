using System.Collections.Concurrent;
using KubePS.Core;
using KubePS.Core.Operations;

namespace KubePS.Tests.Infrastructure;

/// <summary>
/// An IOperationSink that keeps every stream a cmdlet would write (objects, verbose, warnings, debug, progress, errors and
/// the ShouldProcess questions), in order, from any thread, and answers the questions as told: true is a normal run,
/// false is -WhatIf.
/// </summary>
public class CapturingSink(bool answer = true) : IOperationSink
{
    /// <summary>One ShouldProcess question; its text is what PowerShell prints for it under -WhatIf.</summary>
    public sealed record Question(string Target, string Action)
    {
        public override string ToString() => $"What if: Performing the operation \"{Action}\" on target \"{Target}\".";
    }

    public ConcurrentQueue<object> Objects { get; } = new();
    public ConcurrentQueue<string> Verbose { get; } = new();
    public ConcurrentQueue<string> Warnings { get; } = new();
    public ConcurrentQueue<string> Debug { get; } = new();
    public ConcurrentQueue<ProgressInfo> Progress { get; } = new();
    public ConcurrentQueue<KubeException> Errors { get; } = new();
    public ConcurrentQueue<Question> Questions { get; } = new();

    /// <summary>Called with each question's target and action before it is answered (to inject faults at a precise moment).</summary>
    public Func<string, string, Task>? OnQuestion { get; init; }

    public void WriteObject(object value) => Objects.Enqueue(value);
    public void WriteVerbose(string message) => Verbose.Enqueue(message);
    public void WriteWarning(string message) => Warnings.Enqueue(message);
    public void WriteDebug(string message) => Debug.Enqueue(message);
    public void WriteProgress(ProgressInfo progress) => Progress.Enqueue(progress);
    public void WriteError(KubeException error) => Errors.Enqueue(error);

    public async Task<bool> ShouldChangeAsync(string target, string action, CancellationToken cancellationToken)
    {
        Questions.Enqueue(new Question(target, action));
        if (OnQuestion is not null) await OnQuestion(target, action);
        return answer;
    }

    /// <summary>The questions as PowerShell prints them under -WhatIf, in the order they were asked.</summary>
    public List<string> WhatIfText() => Questions.Select(q => q.ToString()).ToList();

    /// <summary>Everything a user could see on any stream, as text (objects by ToString and every public property value).</summary>
    public string AllText()
    {
        var parts = new List<string>();
        parts.AddRange(Verbose); parts.AddRange(Warnings); parts.AddRange(Debug); parts.AddRange(Questions.Select(q => q.ToString()));
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
