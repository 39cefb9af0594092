namespace KubePS.Core.Nodes;

/// <summary>
/// The name of the phase (or operation) the current async flow is working on, e.g. certs/apiserver. Workflows set it
/// around their node calls; the dry-run transport writes it into the header of each recorded script.
/// </summary>
public static class NodePhase
{
    static readonly AsyncLocal<string?> CurrentName = new();

    /// <summary>The phase of the current async flow, or null.</summary>
    public static string? Current => CurrentName.Value;

    /// <summary>Sets the phase until the returned object is disposed (then the previous one is current again).</summary>
    public static IDisposable Begin(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var previous = CurrentName.Value;
        CurrentName.Value = name;
        return new Restore(previous);
    }

    sealed class Restore(string? previous) : IDisposable
    {
        public void Dispose() => CurrentName.Value = previous;
    }
}
