using KubePS.Core.Operations;

namespace KubePS.Core.Workflows;

/// <summary>
/// One step of a workflow, named as kubeadm names it (<c>certs/apiserver</c>, <c>control-plane/kube-apiserver</c>,
/// <c>addon/coredns</c>). A phase reads and writes a typed context; it renders what it wants and applies it through
/// the context's node or API client, so a dry run and -WhatIf need no branch of their own.
/// </summary>
public abstract class Phase<TContext>
{
    /// <summary>kubeadm's phase path, e.g. certs/apiserver.</summary>
    public abstract string Name { get; }

    /// <summary>One line for help, -WhatIf and progress.</summary>
    public abstract string Summary { get; }

    /// <summary>False when the phase does not apply to this context (e.g. etcd/local with an external etcd).</summary>
    public virtual bool ShouldRun(TContext context) => true;

    public abstract Task RunAsync(TContext context, IOperationSink sink, CancellationToken cancellationToken);

    public override string ToString() => Name;
}

/// <summary>What happened to one phase in one run.</summary>
public enum PhaseStatus { Completed, Skipped, NotApplicable, Failed }

public sealed record PhaseResult(string Target, string Phase, PhaseStatus Status, TimeSpan Duration, string? Message = null);
