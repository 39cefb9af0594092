namespace KubePS.Core.Operations;

/// <summary>
/// How Core work reports to whoever runs it (a cmdlet, a test). Every method may be called from any thread;
/// the runner delivers them on its own thread. Never pass secret material to any of them.
/// </summary>
public interface IOperationSink
{
    void WriteObject(object value);
    void WriteVerbose(string message);
    void WriteWarning(string message);
    void WriteDebug(string message);
    void WriteProgress(ProgressInfo progress);

    /// <summary>A non-terminating error: this target failed, the operation goes on for the others.</summary>
    void WriteError(KubeException error);

    /// <summary>
    /// Asks whether a change may be made (PowerShell's ShouldProcess: -WhatIf, -Confirm). Answered on the runner's thread.
    /// </summary>
    Task<bool> ShouldChangeAsync(string target, string action, CancellationToken cancellationToken);
}

/// <summary>A progress record, PowerShell's ProgressRecord without PowerShell.</summary>
public sealed record ProgressInfo(int ActivityId, string Activity, string Status)
{
    public int ParentActivityId { get; init; } = -1;
    public int PercentComplete { get; init; } = -1;
    public string? CurrentOperation { get; init; }
    public bool Completed { get; init; }
}

/// <summary>What a runner does with the events of <see cref="IOperationSink"/>, called on the runner's own thread.</summary>
public interface IOperationHost
{
    void WriteObject(object value);
    void WriteVerbose(string message);
    void WriteWarning(string message);
    void WriteDebug(string message);
    void WriteProgress(ProgressInfo progress);
    void WriteError(KubeException error);
    bool ShouldChange(string target, string action);
}
