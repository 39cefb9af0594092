using System.Diagnostics;
using System.Text;
using KubePS.Core.Nodes;
using Xunit;

namespace KubePS.Tests.Nodes;

/// <summary>The dry-run transport: judged with stat and bash on the folder it writes, and by what it must not do.</summary>
public sealed class DryRunTransportTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), $"kubeps-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    static string Tool(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
        return output.Trim();
    }

    Task<KubeNodeSession> Open(string host = "cp1") => NodeSessionFactory.OpenAsync(new NodeSessionOptions { HostName = host, DryRunPath = _dir });

    [Fact]
    public async Task Dry_run_writes_files_under_the_node_folder_with_modes_applied_and_owners_recorded()
    {
        var session = await Open();
        Assert.Equal(NodeTransportKind.DryRun, session.Kind);
        var results = await session.WriteFilesAsync(
        [
            new NodeFile("/etc/kubernetes/pki/ca.key", [1, 2, 3], 0b110_000_000),
            new NodeFile("/etc/kubernetes/pki/etcd/peer.crt", [4], 0b110_100_100, "etcd", "etcd") { DirectoryMode = 0b111_000_000 },
        ]);
        Assert.All(results, r => Assert.Equal(FileChange.Created, r.Change));

        var node = Path.Combine(_dir, "cp1");
        Assert.Equal(session.DryRunDirectory, node);
        Assert.Equal("700", Tool("stat", "-c", "%a", node));
        Assert.Equal("600", Tool("stat", "-c", "%a", Path.Combine(node, "etc/kubernetes/pki/ca.key")));
        Assert.Equal("644", Tool("stat", "-c", "%a", Path.Combine(node, "etc/kubernetes/pki/etcd/peer.crt")));
        Assert.Equal("755 700", Tool("stat", "-c", "%a", Path.Combine(node, "etc/kubernetes/pki"), Path.Combine(node, "etc/kubernetes/pki/etcd")).Replace('\n', ' '));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(node, "etc/kubernetes/pki/ca.key")));
        var manifest = File.ReadAllLines(Path.Combine(node, "files.txt"));
        Assert.Contains("0600 root:root /etc/kubernetes/pki/ca.key", manifest);
        Assert.Contains("0644 etcd:etcd /etc/kubernetes/pki/etcd/peer.crt", manifest);
        Assert.Empty(Directory.GetFiles(node, ".kubeps-*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Dry_run_reports_unchanged_for_a_repeated_write_and_updated_for_a_new_mode_or_content()
    {
        var session = await Open("w1");
        NodeFile F(string text, int mode) => new("/etc/kubernetes/kubelet.conf", Encoding.UTF8.GetBytes(text), mode);
        await session.WriteFilesAsync([F("a", 0b110_000_000)]);
        Assert.Equal(FileChange.Unchanged, (await session.WriteFilesAsync([F("a", 0b110_000_000)]))[0].Change);
        Assert.Equal(FileChange.Updated, (await session.WriteFilesAsync([F("a", 0b110_100_000)]))[0].Change);
        Assert.Equal("640", Tool("stat", "-c", "%a", Path.Combine(_dir, "w1/etc/kubernetes/kubelet.conf")));
        Assert.Equal(FileChange.Updated, (await session.WriteFilesAsync([F("b", 0b110_100_000)]))[0].Change);

        // A new session on the same folder sees the same state (the owner record is on disk).
        var reopened = await Open("w1");
        Assert.Equal(FileChange.Unchanged, (await reopened.WriteFilesAsync([F("b", 0b110_100_000)]))[0].Change);
    }

    [Fact]
    public async Task Dry_run_records_each_script_with_its_phase_in_commands_sh_and_runs_nothing()
    {
        var proof = Path.Combine(Path.GetTempPath(), $"kubeps-dryrun-proof-{Guid.NewGuid():N}");
        var session = await Open();
        CommandResult result;
        using (NodePhase.Begin("certs/apiserver"))
            result = await session.RunAsync($"touch {proof}\necho secret-ish >&2");
        await session.RunAsync("systemctl restart kubelet");

        Assert.Equal(0, result.ExitCode);
        Assert.True(result.Recorded, "a dry-run result says the script was recorded, not run");
        Assert.Equal("", result.Output);
        Assert.Equal("", result.Error);
        Assert.False(File.Exists(proof), "a dry run must not run the script");
        var commands = Path.Combine(_dir, "cp1", "commands.sh");
        Assert.Equal("600", Tool("stat", "-c", "%a", commands));
        var text = File.ReadAllText(commands);
        Assert.StartsWith("#!/bin/bash\n", text);
        Assert.Matches(@"\n# ---- \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z phase: certs/apiserver ----\ntouch ", text);
        Assert.Contains("phase: (none) ----\nsystemctl restart kubelet\n", text);
        Assert.True(text.IndexOf("touch", StringComparison.Ordinal) < text.IndexOf("systemctl", StringComparison.Ordinal));
        Tool("bash", "-n", commands);   // what was recorded is a valid bash script
    }

    [Fact]
    public async Task Dry_run_reads_see_only_files_written_in_the_dry_run()
    {
        Assert.True(File.Exists("/etc/hostname") || File.Exists("/etc/passwd"));
        var session = await Open();
        await session.WriteFilesAsync([NodeFile.Text("/etc/kubernetes/admin.conf", "kind: Config\n")]);
        var read = await session.ReadFilesAsync(["/etc/kubernetes/admin.conf", "/etc/passwd", "/etc/hostname"]);
        Assert.Equal("kind: Config\n", Encoding.UTF8.GetString(read["/etc/kubernetes/admin.conf"]!));
        Assert.Null(read["/etc/passwd"]);     // the machine's own files are not visible
        Assert.Null(read["/etc/hostname"]);
    }
}
