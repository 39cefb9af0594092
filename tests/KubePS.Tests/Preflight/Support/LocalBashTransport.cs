using System.Diagnostics;
using System.Text;
using KubePS.Core.Nodes;

namespace KubePS.Tests.Preflight.Support;

/// <summary>
/// TEST-ONLY node transport: runs scripts with bash on this machine, optionally inside the network, mount and UTS
/// namespaces of a <see cref="NamespaceNode"/> (through nsenter), so tests can exercise the real probe and the real
/// preparation scripts without ssh. File writes and reads go through bash inside the same namespaces, so they land in
/// the node's private view of the file system. Not a product transport (the nodes branch owns those).
/// </summary>
public sealed class LocalBashTransport : INodeTransport
{
    readonly int? _namespacePid;
    readonly string _path;

    public LocalBashTransport(string hostName, int? namespacePid = null, string? path = null)
    {
        HostName = hostName;
        _namespacePid = namespacePid;
        _path = path ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    }

    public string HostName { get; }

    /// <summary>Every script run, in order (for tests that look at what was run).</summary>
    public List<string> Scripts { get; } = [];

    public async Task<CommandResult> RunAsync(string script, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        lock (Scripts) Scripts.Add(script);
        var psi = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (_namespacePid is int pid)
        {
            psi.FileName = "nsenter";
            foreach (var a in new[] { "--target", pid.ToString(), "--net", "--mount", "--uts", "--", "bash", "-s" }) psi.ArgumentList.Add(a);
        }
        else
        {
            psi.FileName = "bash";
            psi.ArgumentList.Add("-s");
        }
        psi.Environment.Clear();
        psi.Environment["PATH"] = _path;
        psi.Environment["HOME"] = "/root";
        psi.Environment["LANG"] = "C.UTF-8";
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        await p.StandardInput.WriteAsync(script.AsMemory(), cancellationToken);
        p.StandardInput.Close();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return new CommandResult(HostName, p.ExitCode, await stdout, await stderr, sw.Elapsed);
    }

    public async Task<IReadOnlyList<FileWriteResult>> WriteFilesAsync(IReadOnlyList<NodeFile> files, CancellationToken cancellationToken)
    {
        if (files.Count == 0) return [];
        var sb = new StringBuilder("set -e\n");
        foreach (var f in files)
        {
            string q = Quote(f.Path);
            sb.Append("f=").Append(q).Append('\n');
            sb.Append("mkdir -p \"$(dirname \"$f\")\"\n");
            sb.Append("t=$(mktemp \"$f.kubeps-XXXXXX\")\n");
            sb.Append("printf '%s' ").Append(Quote(Convert.ToBase64String(f.Content))).Append(" | base64 -d > \"$t\"\n");
            sb.Append("chmod ").Append(f.ModeText).Append(" \"$t\"; chown ").Append(f.Owner).Append(':').Append(f.Group).Append(" \"$t\"\n");
            sb.Append("if [ -f \"$f\" ] && cmp -s \"$t\" \"$f\" && [ \"$(stat -c %a \"$f\")\" = \"$(stat -c %a \"$t\")\" ]; then rm -f \"$t\"; echo \"unchanged $f\";\n");
            sb.Append("elif [ -e \"$f\" ]; then mv -f \"$t\" \"$f\"; echo \"updated $f\"; else mv -f \"$t\" \"$f\"; echo \"created $f\"; fi\n");
        }
        var r = await RunAsync(sb.ToString(), TimeSpan.FromMinutes(1), cancellationToken);
        if (!r.Succeeded) throw new InvalidOperationException($"test transport write failed: {r.Error}");
        var results = new List<FileWriteResult>();
        foreach (var line in r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 2);
            var change = parts[0] switch { "unchanged" => FileChange.Unchanged, "updated" => FileChange.Updated, _ => FileChange.Created };
            var file = files.First(x => x.Path == parts[1]);
            results.Add(new FileWriteResult(parts[1], change, file.ModeText));
        }
        return results;
    }

    public async Task<IReadOnlyDictionary<string, byte[]?>> ReadFilesAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var sb = new StringBuilder();
        foreach (var p in paths)
            sb.Append("if [ -f ").Append(Quote(p)).Append(" ]; then printf 'F '; base64 -w0 ").Append(Quote(p)).Append("; echo; else echo M; fi\n");
        var r = await RunAsync(sb.ToString(), TimeSpan.FromMinutes(1), cancellationToken);
        var lines = r.Output.Split('\n');
        var result = new Dictionary<string, byte[]?>();
        for (int i = 0; i < paths.Count; i++)
            result[paths[i]] = lines[i].StartsWith("F ") ? Convert.FromBase64String(lines[i][2..]) : null;
        return result;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
