using KubePS.Core.Nodes;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows;

/// <summary>
/// The one gate between a workflow's phases and a node (DESIGN.md "Render, then apply"). Phases render files and
/// commands; the applier compares files with what the node holds, asks <see cref="IOperationSink.ShouldChangeAsync"/>
/// before each change (-WhatIf, -Confirm), and makes the changes through the session: one WriteFilesAsync batch per
/// phase with only the files that differ, one RunAsync per command. The files a workflow may touch are read once,
/// up front (<see cref="LoadAsync"/>); later phases see that snapshot updated with every file rendered in this run
/// (made or declined), so -WhatIf can go on describing what depends on earlier changes.
/// <para>
/// A dry-run session cannot answer questions about a node: <see cref="GatherFactsAsync"/> and <see cref="QueryAsync"/>
/// return null for it, and nothing read-only is recorded in its commands.sh. This is the only place that looks at the
/// kind of session.
/// </para>
/// </summary>
public sealed class NodeApplier
{
    readonly Dictionary<string, byte[]?> _view = new(StringComparer.Ordinal);
    readonly IOperationSink _sink;
    readonly WorkflowChanges _changes;
    readonly object _gate = new();

    public NodeApplier(KubeNodeSession session, IOperationSink sink, WorkflowChanges changes)
    {
        Session = session;
        _sink = sink;
        _changes = changes;
    }

    public KubeNodeSession Session { get; }

    /// <summary>The node's name as the session knows it (the target of every ShouldProcess question).</summary>
    public string HostName => Session.HostName;

    /// <summary>True when the session only records (dry run): facts and queries are not available.</summary>
    public bool IsDryRun => Session.Kind == NodeTransportKind.DryRun;

    /// <summary>Round trips made through this applier, by phase (for the benchmark and the result's phase table).</summary>
    public IReadOnlyDictionary<string, int> RoundTrips
    {
        get { lock (_gate) return new Dictionary<string, int>(_roundTrips, StringComparer.Ordinal); }
    }
    readonly Dictionary<string, int> _roundTrips = new(StringComparer.Ordinal);

    void Count(string phase)
    {
        lock (_gate) _roundTrips[phase] = _roundTrips.GetValueOrDefault(phase) + 1;
    }

    /// <summary>The node's facts, gathered now (one read-only probe); null for a dry-run session.</summary>
    public async Task<NodeFacts?> GatherFactsAsync(NodeProbeOptions options, string phase, CancellationToken ct)
    {
        if (IsDryRun) return null;
        Count(phase);
        return await NodeProbe.GetFactsAsync(Session, options, refresh: true, ct).ConfigureAwait(false);
    }

    /// <summary>Reads the files a workflow may write, in one round trip (missing files read as null).</summary>
    public async Task LoadAsync(IEnumerable<string> paths, string phase, CancellationToken ct)
    {
        List<string> missing;
        lock (_gate) missing = paths.Distinct(StringComparer.Ordinal).Where(p => !_view.ContainsKey(p)).ToList();
        if (missing.Count == 0) return;
        Count(phase);
        var read = await Session.ReadFilesAsync(missing, ct).ConfigureAwait(false);
        lock (_gate)
            foreach (var p in missing) _view[p] = read.TryGetValue(p, out var b) ? b : null;
    }

    /// <summary>
    /// The content of a file as this run sees it: what the node held when it was read, or what a phase of this run
    /// rendered for it since. Null when absent. The path must have been read with <see cref="LoadAsync"/>.
    /// </summary>
    public byte[]? Current(string path)
    {
        lock (_gate)
            return _view.TryGetValue(path, out var b) ? b
                : throw new InvalidOperationException($"{path} was not read from {HostName} before it was looked at");
    }

    public bool Exists(string path) => Current(path) is not null;

    /// <summary>
    /// Makes the node hold <paramref name="files"/>: files whose bytes are already there are left alone; the others are
    /// described in one ShouldProcess question and, when allowed, written in one batch. Returns the paths that differed,
    /// written or (declined) not: what follows from a change (a restart) is then asked about too.
    /// </summary>
    public async Task<IReadOnlyList<string>> WriteAsync(string phase, IReadOnlyList<NodeFile> files, CancellationToken ct)
    {
        var changed = new List<(NodeFile File, bool New)>();
        foreach (var f in files)
        {
            var current = Current(f.Path);
            if (current is null || !current.AsSpan().SequenceEqual(f.Content)) changed.Add((f, current is null));
        }
        if (changed.Count == 0)
        {
            if (files.Count > 0)
                _sink.WriteVerbose($"{HostName}: [{phase}] already in place: {string.Join(", ", files.Select(f => f.Path))}");
            return [];
        }
        string Describe((NodeFile File, bool New) c) => $"{(c.New ? "create" : "update")} {c.File.Path} ({c.File.ModeText})";
        bool allowed = await _sink.ShouldChangeAsync(HostName, $"[{phase}] " + string.Join(", ", changed.Select(Describe)), ct).ConfigureAwait(false);
        lock (_gate)
            foreach (var c in changed) _view[c.File.Path] = c.File.Content;
        if (!allowed)
        {
            foreach (var c in changed) _changes.Add(new WorkflowChange(phase, HostName, Describe(c), false));
            return changed.Select(c => c.File.Path).ToList();
        }
        Count(phase);
        using (NodePhase.Begin(phase))
            await Session.WriteFilesAsync(changed.Select(c => c.File).ToList(), ct).ConfigureAwait(false);
        foreach (var c in changed)
        {
            _sink.WriteVerbose($"{HostName}: {(c.New ? "wrote" : "updated")} {c.File.Path} ({c.File.ModeText})");
            _changes.Add(new WorkflowChange(phase, HostName, Describe(c), true));
        }
        return changed.Select(c => c.File.Path).ToList();
    }

    /// <summary>
    /// Runs a command that changes the node, after ShouldProcess (<paramref name="description"/> is what it does, never
    /// secret). Returns false when declined. A non-zero exit is <c>Node.CommandFailed</c> with the tail of its errors.
    /// </summary>
    public async Task<bool> RunAsync(string phase, string description, string script, TimeSpan? timeout, CancellationToken ct)
    {
        if (!await _sink.ShouldChangeAsync(HostName, $"[{phase}] {description}", ct).ConfigureAwait(false))
        {
            _changes.Add(new WorkflowChange(phase, HostName, description, false));
            return false;
        }
        Count(phase);
        CommandResult result;
        using (NodePhase.Begin(phase))
            result = await Session.RunAsync(script, timeout, ct).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new KubeException("Node.CommandFailed",
                $"{HostName}: '{description}' failed with exit code {result.ExitCode}: {NodeProbe.Tail(result.Error.Length > 0 ? result.Error : result.Output)}",
                KubeErrorCategory.InvalidOperation, HostName, "Look at the error above; run the step by hand on the node (Invoke-KubeNodeCommand) to see more.");
        _sink.WriteVerbose($"{HostName}: {description}");
        _changes.Add(new WorkflowChange(phase, HostName, description, true));
        return true;
    }

    /// <summary>
    /// Runs a read-only script (health checks, a file test) and returns its result, or null for a dry-run session,
    /// where nothing can be asked (and nothing is recorded).
    /// </summary>
    public async Task<CommandResult?> QueryAsync(string phase, string script, TimeSpan? timeout, CancellationToken ct)
    {
        if (IsDryRun) return null;
        Count(phase);
        return await Session.RunAsync(script, timeout, ct).ConfigureAwait(false);
    }
}
