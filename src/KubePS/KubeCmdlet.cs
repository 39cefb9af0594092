using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Operations;

namespace KubePS;

/// <summary>
/// Base class of every KubePS cmdlet. Core work runs on the thread pool; whatever it reports (objects, verbose,
/// warnings, progress, non-terminating errors, ShouldProcess questions) is delivered on the pipeline thread by
/// <see cref="OperationPump"/>. Ctrl+C (StopProcessing) cancels the work. KubeExceptions become ErrorRecords with
/// the exception's stable id, a real category and the node or object as target.
/// </summary>
public abstract class KubeCmdlet : PSCmdlet, IOperationHost
{
    readonly CancellationTokenSource _stop = new();

    protected CancellationToken StopToken => _stop.Token;

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>Runs asynchronous Core work and pumps its events on the pipeline thread.</summary>
    protected void Run(Func<IOperationSink, CancellationToken, Task> work)
    {
        try
        {
            OperationPump.Run(this, work, _stop);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Ctrl+C or PowerShell.Stop(): the pipeline is being stopped; nothing more to write.
        }
        catch (KubeException e)
        {
            ThrowTerminatingError(ToErrorRecord(e));
        }
    }

    /// <summary>Runs synchronous Core work through the same error mapping.</summary>
    protected void Run(Action<IOperationSink> work) => Run((sink, _) => { work(sink); return Task.CompletedTask; });

    /// <summary>Maps a Core exception to an ErrorRecord: id, category, target, message and recommendation.</summary>
    internal static ErrorRecord ToErrorRecord(KubeException e)
    {
        var category = Enum.TryParse<ErrorCategory>(e.Category.ToString(), out var c) ? c : ErrorCategory.NotSpecified;
        var record = new ErrorRecord(e, e.ErrorId, category, e.Target)
        {
            ErrorDetails = new ErrorDetails(e.Message),
        };
        if (e.RecommendedAction is { } action) record.ErrorDetails.RecommendedAction = action;
        return record;
    }

    void IOperationHost.WriteObject(object value) => WriteObject(value);
    void IOperationHost.WriteVerbose(string message) => WriteVerbose(message);
    void IOperationHost.WriteWarning(string message) => WriteWarning(message);
    void IOperationHost.WriteDebug(string message) => WriteDebug(message);
    void IOperationHost.WriteError(KubeException error) => WriteError(ToErrorRecord(error));
    bool IOperationHost.ShouldChange(string target, string action) => ShouldProcess(target, action);

    void IOperationHost.WriteProgress(ProgressInfo p)
    {
        var record = new ProgressRecord(p.ActivityId, p.Activity, string.IsNullOrEmpty(p.Status) ? p.Activity : p.Status)
        {
            ParentActivityId = p.ParentActivityId,
            PercentComplete = p.PercentComplete,
            RecordType = p.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        if (p.CurrentOperation is not null) record.CurrentOperation = p.CurrentOperation;
        WriteProgress(record);
    }
}
