using Xunit;

namespace KubePS.Tests.Lab;

/// <summary>
/// A collection fixture: one lab per test collection, created before the collection's first test and torn down after
/// its last. Collections run in parallel, each with its own lab (own bridge, /24 and name prefix). Without root the
/// fixture fails, and so does every test of the collection, with a message saying so (no silent skip).
/// </summary>
public class LabFixture : IAsyncLifetime
{
    NodeLab? _lab;

    /// <summary>How many nodes the lab has.</summary>
    protected virtual int NodeCount => 3;

    /// <summary>Whether the nodes get the lab's command stand-ins (NodeLab.CreateAsync withShims).</summary>
    protected virtual bool WithShims => false;

    public NodeLab Lab => _lab ?? throw new InvalidOperationException("the lab was not created");

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _lab = await NodeLab.CreateAsync(NodeCount, WithShims, cts.Token);
    }

    public async Task DisposeAsync()
    {
        if (_lab is not null) await _lab.DisposeAsync();
    }
}

/// <summary>The lab of the node transport tests (sessions, commands, files, host keys, users).</summary>
[CollectionDefinition(Name)]
public sealed class NodeLabCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "node lab";
}

/// <summary>A second lab, for tests that break nodes (kill sshd, cut links), so they run beside the others.</summary>
[CollectionDefinition(Name)]
public sealed class FaultLabCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "fault lab";
}

/// <summary>A lab whose nodes have the command stand-ins (shims), for node preparation and preflight run for real.</summary>
public sealed class ShimLabFixture : LabFixture
{
    protected override bool WithShims => true;
}

/// <summary>The lab of the node preparation tests (preflight, prerequisites, packages over real SSH on shimmed nodes).</summary>
[CollectionDefinition(Name)]
public sealed class PrepLabCollection : ICollectionFixture<ShimLabFixture>
{
    public const string Name = "prep lab";
}
