using KubePS.Core;
using KubePS.Core.Nodes;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>
/// A node transport that counts every command, write and read sent to it and refuses them all: a refusal of bad input
/// that comes after the node was touched shows up as a non-zero count (or as the transport's own error).
/// </summary>
public sealed class UntouchedNode(string hostName = "n1") : INodeTransport
{
    int _calls;
    public int Calls => _calls;
    public string HostName => hostName;

    public Task<CommandResult> RunAsync(string script, TimeSpan? timeout, CancellationToken cancellationToken) => Touched<CommandResult>();
    public Task<IReadOnlyList<FileWriteResult>> WriteFilesAsync(IReadOnlyList<NodeFile> files, CancellationToken cancellationToken) => Touched<IReadOnlyList<FileWriteResult>>();
    public Task<IReadOnlyDictionary<string, byte[]?>> ReadFilesAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken) => Touched<IReadOnlyDictionary<string, byte[]?>>();
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    Task<T> Touched<T>()
    {
        Interlocked.Increment(ref _calls);
        throw new InvalidOperationException($"the node {hostName} was touched");
    }

    /// <summary>A session over an untouched node.</summary>
    public static (KubeNodeSession Session, UntouchedNode Node) Session(string hostName = "n1")
    {
        var node = new UntouchedNode(hostName);
        return (new KubeNodeSession(hostName, NodeTransportKind.OpenSsh, node), node);
    }
}

/// <summary>The checks every refusal of bad input must pass.</summary>
public static class Refusal
{
    /// <summary>The error ids of a refusal (an aggregate carries several).</summary>
    public static IReadOnlyList<string> Ids(KubeException e) => e is KubeAggregateException a ? a.Errors.Select(x => x.ErrorId).ToList() : [e.ErrorId];

    /// <summary>The one error with <paramref name="id"/> (from an aggregate or alone).</summary>
    public static KubeException Single(KubeException e, string id)
    {
        var all = e is KubeAggregateException a ? a.Errors : [e];
        return Assert.Single(all, x => x.ErrorId == id);
    }

    /// <summary>
    /// The error has the id, names the offending value in its message or its target, and says what would be valid.
    /// </summary>
    public static void Names(KubeException e, string id, string offending, params string[] validHints)
    {
        var error = Single(e, id);
        Assert.True(error.Message.Contains(offending, StringComparison.Ordinal) || string.Equals(error.Target?.ToString(), offending, StringComparison.Ordinal),
            $"neither the message '{error.Message}' nor the target '{error.Target}' names '{offending}'");
        Assert.False(string.IsNullOrWhiteSpace(error.RecommendedAction), "no recommended action");
        foreach (var hint in validHints)
            Assert.True(error.RecommendedAction!.Contains(hint, StringComparison.Ordinal) || error.Message.Contains(hint, StringComparison.Ordinal),
                $"neither the message '{error.Message}' nor the recommended action '{error.RecommendedAction}' says '{hint}'");
    }
}
