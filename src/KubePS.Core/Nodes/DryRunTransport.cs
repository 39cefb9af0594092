using System.Globalization;
using System.Text;

namespace KubePS.Core.Nodes;

/// <summary>
/// Touches no node: records what would be done under &lt;DryRunPath&gt;/&lt;HostName&gt;/ so a whole cluster can be
/// reviewed, diffed and tested without a server.
/// <list type="bullet">
/// <item>Files land at &lt;DryRunPath&gt;/&lt;HostName&gt;/&lt;absolute path&gt; with their mode applied; mode and owner are
/// also listed in &lt;DryRunPath&gt;/&lt;HostName&gt;/files.txt (owners are recorded, not applied). Writing the same batch
/// twice reports Unchanged, as on a real node.</item>
/// <item>Each script is appended to &lt;DryRunPath&gt;/&lt;HostName&gt;/commands.sh (0600: scripts may hold secrets) after a
/// header comment with the time and the phase (<see cref="NodePhase"/>). RunAsync returns exit code 0 with empty
/// output: nothing runs.</item>
/// <item>Reads see only the files already written to the dry-run folder, nothing of any real machine; anything else
/// reads as missing (null).</item>
/// <item>There is no node to probe: <see cref="NodeProbe"/> takes the facts given with
/// <see cref="NodeSessionOptions.DryRunFacts"/> (<see cref="Facts"/>) instead, or fails with Node.FactsUnavailable.</item>
/// </list>
/// </summary>
public sealed class DryRunTransport : INodeTransport
{
    const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    readonly SemaphoreSlim _gate = new(1, 1);
    SortedDictionary<string, string>? _manifest;

    public DryRunTransport(string hostName, string dryRunPath)
    {
        NodeSessionOptions.ValidateHostName(hostName);
        if (string.IsNullOrEmpty(dryRunPath) || !Path.IsPathFullyQualified(dryRunPath))
            throw new KubeException("Node.InvalidDryRunPath", $"{hostName}: the dry-run path '{dryRunPath}' is not a full path.",
                KubeErrorCategory.InvalidArgument, dryRunPath, "Give a full path such as /tmp/kubeps-dryrun.");
        HostName = hostName;
        NodeDirectory = Path.Combine(dryRunPath, hostName);
    }

    public DryRunTransport(NodeSessionOptions options) : this(options.EffectiveHostName, options.DryRunPath!)
    {
        options.Validate();
        Facts = options.DryRunFacts?.WithHostName(HostName);
    }

    public string HostName { get; }

    /// <summary>The facts the dry run plans from (given, never probed), under this transport's host name; null when none were given.</summary>
    public NodeFacts? Facts { get; }

    /// <summary>
    /// The facts for a probe that asks for <paramref name="options"/>: the given facts when they cover it, else
    /// Node.FactsUnavailable (a dry run cannot look at a node).
    /// </summary>
    public NodeFacts FactsFor(NodeProbeOptions? options)
    {
        if (Facts is { } f && f.Covers(options ?? NodeProbeOptions.Default)) return f;
        throw new KubeException("Node.FactsUnavailable",
            Facts is null
                ? $"{HostName} (dry run): there is no node to gather facts from, and the session was opened without facts to plan from."
                : $"{HostName} (dry run): the facts the session was opened with do not cover what this operation checks (paths {string.Join(", ", (options ?? NodeProbeOptions.Default).Paths)}).",
            KubeErrorCategory.ResourceUnavailable, HostName,
            "Open the dry-run session with the facts of a real node of the same kind: New-KubeNodeSession -DryRunPath <dir> -HostName <name> -Facts (Get-KubeNodeInfo -Session $realNode).");
    }

    /// <summary>&lt;DryRunPath&gt;/&lt;HostName&gt;: the node's root directory in the dry run.</summary>
    public string NodeDirectory { get; }

    public string CommandsFile => Path.Combine(NodeDirectory, "commands.sh");

    public string ManifestFile => Path.Combine(NodeDirectory, "files.txt");

    /// <summary>Creates the node's folder (0700: it will hold keys). Fails with Node.DryRunPathUnusable.</summary>
    public Task ConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            CreateDirectory(Path.GetDirectoryName(NodeDirectory)!, null);
            CreateDirectory(NodeDirectory, PrivateDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unusable(e);
        }
        return Task.CompletedTask;
    }

    public async Task<CommandResult> RunAsync(string script, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(script);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
            var text = new StringBuilder();
            if (!File.Exists(CommandsFile))
                text.Append("#!/bin/bash\n# Scripts KubePS would have run as root on ").Append(HostName)
                    .Append(" (dry run), oldest first. Each one ran on its own, through bash -s.\n");
            text.Append("\n# ---- ").Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))
                .Append(" phase: ").Append(NodePhase.Current ?? "(none)").Append(" ----\n")
                .Append(script);
            if (!script.EndsWith('\n')) text.Append('\n');
            var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFile;
            await using (var stream = new FileStream(CommandsFile, options))
                await stream.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), cancellationToken).ConfigureAwait(false);
            return new CommandResult(HostName, 0, "", "", TimeSpan.Zero) { Recorded = true };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unusable(e);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<FileWriteResult>> WriteFilesAsync(IReadOnlyList<NodeFile> files, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0) return [];
        ShellTransport.CheckDistinct(HostName, files);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
            var manifest = LoadManifest();
            var results = new List<FileWriteResult>(files.Count);
            foreach (var f in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var target = Local(f.Path);
                var owner = $"{f.Owner}:{f.Group}";
                FileChange change;
                if (File.Exists(target))
                {
                    bool same = (OperatingSystem.IsWindows() || (int)File.GetUnixFileMode(target) == f.Mode)
                        && manifest.TryGetValue(f.Path, out var recorded) && recorded == $"{f.ModeText} {owner}"
                        && (await File.ReadAllBytesAsync(target, cancellationToken).ConfigureAwait(false)).AsSpan().SequenceEqual(f.Content);
                    change = same ? FileChange.Unchanged : FileChange.Updated;
                }
                else change = FileChange.Created;

                if (change != FileChange.Unchanged)
                {
                    CreateParents(target, f.DirectoryMode ?? NodeFile.DefaultDirectoryMode);
                    var temp = Path.Combine(Path.GetDirectoryName(target)!, $".kubeps-{NodeScripts.NewBatchId()}");
                    var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                    if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFile;
                    try
                    {
                        await using (var stream = new FileStream(temp, options))
                            await stream.WriteAsync(f.Content, cancellationToken).ConfigureAwait(false);
                        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, (UnixFileMode)f.Mode);
                        File.Move(temp, target, overwrite: true);
                    }
                    finally
                    {
                        if (File.Exists(temp)) File.Delete(temp);
                    }
                }
                manifest[f.Path] = $"{f.ModeText} {owner}";
                results.Add(new FileWriteResult(f.Path, change, f.ModeText));
            }
            SaveManifest(manifest);
            return results;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeException("Node.WriteFailed", $"{HostName} (dry run): could not write under {NodeDirectory}: {e.Message}",
                KubeErrorCategory.WriteError, HostName, "Check that the dry-run folder is writable and has free space.", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyDictionary<string, byte[]?>> ReadFilesAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var p in paths) NodeFile.ValidatePath(p);
        var result = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        foreach (var p in paths.Distinct(StringComparer.Ordinal))
        {
            var local = Local(p);
            result[p] = File.Exists(local) ? await File.ReadAllBytesAsync(local, cancellationToken).ConfigureAwait(false) : null;
        }
        return result;
    }

    /// <summary>Where a node path lands in the dry-run folder.</summary>
    public string Local(string nodePath) => Path.Combine(NodeDirectory, nodePath.TrimStart('/'));

    void CreateParents(string target, int directoryMode)
    {
        var missing = new Stack<string>();
        for (var d = Path.GetDirectoryName(target); d is not null && d.Length > NodeDirectory.Length && !Directory.Exists(d); d = Path.GetDirectoryName(d))
            missing.Push(d);
        while (missing.Count > 0) CreateDirectory(missing.Pop(), (UnixFileMode)directoryMode);
    }

    static void CreateDirectory(string dir, UnixFileMode? mode)
    {
        if (OperatingSystem.IsWindows() || mode is null) { Directory.CreateDirectory(dir); return; }
        bool existed = Directory.Exists(dir);
        Directory.CreateDirectory(dir, mode.Value);
        if (!existed) File.SetUnixFileMode(dir, mode.Value);   // exact mode, whatever the umask
    }

    SortedDictionary<string, string> LoadManifest()
    {
        if (_manifest is not null) return _manifest;
        var m = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(ManifestFile))
            foreach (var line in File.ReadAllLines(ManifestFile))
            {
                // "0600 root:root /etc/kubernetes/pki/ca.key"
                var parts = line.Split(' ', 3);
                if (parts.Length == 3 && parts[2].StartsWith('/')) m[parts[2]] = $"{parts[0]} {parts[1]}";
            }
        return _manifest = m;
    }

    void SaveManifest(SortedDictionary<string, string> manifest)
    {
        var text = new StringBuilder("# mode owner:group path of each file KubePS wrote in this dry run\n");
        foreach (var (path, modeOwner) in manifest) text.Append(modeOwner).Append(' ').Append(path).Append('\n');
        var temp = ManifestFile + ".tmp";
        File.WriteAllText(temp, text.ToString());
        File.Move(temp, ManifestFile, overwrite: true);
    }

    KubeException Unusable(Exception e) =>
        new("Node.DryRunPathUnusable", $"{HostName} (dry run): cannot use {NodeDirectory}: {e.Message}",
            KubeErrorCategory.WriteError, NodeDirectory, "Give a -DryRunPath in a writable place.", e);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public override string ToString() => $"{HostName} (dry run in {NodeDirectory})";
}
