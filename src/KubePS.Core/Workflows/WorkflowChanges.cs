namespace KubePS.Core.Workflows;

/// <summary>One change a workflow made (or, with -WhatIf or a declined -Confirm, would have made). Never holds a secret.</summary>
/// <param name="Phase">kubeadm's phase name, e.g. certs/apiserver</param>
/// <param name="Target">the node or the cluster</param>
/// <param name="Action">what, e.g. "create /etc/kubernetes/pki/ca.crt (0644)" or "apply ConfigMap kube-system/kubeadm-config"</param>
/// <param name="Applied">false when the change was declined (ShouldProcess said no)</param>
public sealed record WorkflowChange(string Phase, string Target, string Action, bool Applied)
{
    public override string ToString() => $"[{Phase}] {Target}: {(Applied ? "" : "(not made) ")}{Action}";
}

/// <summary>
/// The changes of one workflow run, shared by its appliers. <see cref="AnyDeclined"/> tells later phases that an
/// earlier change was not made (-WhatIf or -Confirm answered no), so they must not wait for its effect.
/// </summary>
public sealed class WorkflowChanges
{
    readonly List<WorkflowChange> _changes = [];
    readonly object _gate = new();

    public void Add(WorkflowChange change)
    {
        lock (_gate) _changes.Add(change);
    }

    /// <summary>Every change so far, in order.</summary>
    public IReadOnlyList<WorkflowChange> All
    {
        get { lock (_gate) return _changes.ToList(); }
    }

    /// <summary>True when some change was declined in this run.</summary>
    public bool AnyDeclined
    {
        get { lock (_gate) return _changes.Any(c => !c.Applied); }
    }
}
