using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Tests.Lab;
using Xunit;

namespace KubePS.Tests.Nodes;

/// <summary>
/// The OpenSSH transport against real sshd nodes of the lab. Judges: the node's own view through nsenter (stat, cat,
/// sha256sum, hostname), ssh-keygen for known_hosts, and sshd's own refusals.
/// </summary>
[Collection(NodeLabCollection.Name)]
public sealed class SshLabTests(LabFixture fixture) : IAsyncLifetime
{
    readonly NodeLab _lab = fixture.Lab;
    readonly string _temp = Path.Combine(Path.GetTempPath(), $"kubeps-test-{Guid.NewGuid():N}");
    readonly List<KubeNodeSession> _opened = new();

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_temp);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _opened) await s.DisposeAsync();
        Directory.Delete(_temp, recursive: true);
    }

    async Task<KubeNodeSession> Open(NodeSessionOptions options)
    {
        var s = await NodeSessionFactory.OpenAsync(options);
        _opened.Add(s);
        return s;
    }

    async Task<KubeException> OpenFails(NodeSessionOptions options)
    {
        var e = await Assert.ThrowsAsync<KubeException>(() => Open(options));
        return e;
    }

    /// <summary>Options with their own ControlMaster directory, so no warm connection of another test is reused.</summary>
    NodeSessionOptions Isolated(LabNode node) => _lab.SessionOptions(node) with { ControlPathDirectory = Path.Combine(_temp, "cm") };

    async Task<string> InNode(LabNode node, string script) =>
        (await _lab.ExecAsync(node, script)).EnsureSuccess($"'{script}' in {node}").Output.Trim();

    [Fact]
    public async Task Sessions_to_every_node_open_in_parallel_and_each_reaches_its_own_node()
    {
        var sink = new CapturingSink();
        var options = _lab.Nodes.Select(n => _lab.SessionOptions(n)).ToList();
        var sessions = await NodeSessionFactory.OpenManyAsync(options, sink, register: false);
        _opened.AddRange(sessions);

        Assert.Empty(sink.Errors);
        Assert.Equal(_lab.Nodes.Count, sessions.Count);
        foreach (var (node, session) in _lab.Nodes.Zip(sessions))
        {
            Assert.Equal(node.Address, session.HostName);
            Assert.Equal("root", session.UserName);
            Assert.Equal(NodeTransportKind.OpenSsh, session.Kind);
            var viaSession = (await session.RunAsync("hostname; cat /proc/1/comm")).Output.Split('\n');
            Assert.Equal(await InNode(node, "hostname"), viaSession[0]);
            Assert.Equal("sshd", viaSession[1]);
        }
    }

    [Fact]
    public async Task A_session_keeps_one_shared_connection_that_ssh_reports_as_running()
    {
        var session = await Open(Isolated(_lab.Nodes[0]));
        var transport = (OpenSshTransport)session.Transport;
        var check = await NodeLab.RunAsync("ssh", ["-o", $"ControlPath={transport.ControlPath}", "-O", "check", "x"], null, default);
        Assert.Equal(0, check.ExitCode);
        Assert.Contains("Master running", check.Error);
        Assert.Equal("700", (await NodeLab.RunAsync("stat", ["-c", "%a", Path.GetDirectoryName(transport.ControlPath)!], null, default)).Output.Trim());
    }

    [Fact]
    public async Task Invoke_returns_each_nodes_output_error_and_exit_code()
    {
        var sessions = await Task.WhenAll(_lab.Nodes.Select(n => Open(_lab.SessionOptions(n))));
        var sink = new CapturingSink();
        var results = await NodeCommand.InvokeAsync(sessions, "hostname\necho oops >&2\nexit 3", null, sink);

        Assert.Equal(_lab.Nodes.Count, results.Count);
        foreach (var node in _lab.Nodes)
        {
            var r = Assert.Single(results, r => r.HostName == node.Address);
            Assert.Equal(3, r.ExitCode);
            Assert.Equal(node.Name + "\n", r.Output);
            Assert.Equal("oops\n", r.Error);
        }
        Assert.Equal(_lab.Nodes.Count, sink.Objects.Count);
        Assert.Equal(_lab.Nodes.Count, sink.Questions.Count);
    }

    [Fact]
    public async Task Scripts_run_as_root_without_stdin_and_their_exit_and_traps_stay_inside()
    {
        var session = await Open(_lab.SessionOptions(_lab.Nodes[1]));
        var r = await session.RunAsync("id -u\ncat\ntrap 'echo trapped' EXIT\nread -r line || echo no-input\nexit 255");
        Assert.Equal(255, r.ExitCode);   // the script's own 255, not mistaken for an ssh failure
        Assert.Equal("0\nno-input\ntrapped\n", r.Output);
    }

    [Fact]
    public async Task Batched_write_lands_with_modes_and_owners_only_in_that_nodes_private_filesystem()
    {
        var (target, other) = (_lab.Nodes[0], _lab.Nodes[1]);
        var dir = $"/etc/kubeps-test-{Guid.NewGuid():N}";
        var key = RandomNumberGenerator.GetBytes(1200);
        var files = new[]
        {
            new NodeFile($"{dir}/pki/ca.key", key, 0b110_000_000),
            NodeFile.Text($"{dir}/manifests/etcd.yaml", "apiVersion: v1\nkind: Pod\n"),
            new NodeFile($"{dir}/owned/data", [1, 2, 3], 0b110_100_000, "nobody", "nogroup"),
            new NodeFile($"{dir}/private/sub/file", [4], 0b100_000_000) { DirectoryMode = 0b111_000_000 },
            new NodeFile($"/var/lib/kubeps-test-{Guid.NewGuid():N}/config.yaml", Encoding.UTF8.GetBytes("x: 1\n")),
        };
        var session = await Open(_lab.SessionOptions(target));
        var results = await session.WriteFilesAsync(files);

        Assert.Equal(files.Select(f => f.Path), results.Select(r => r.Path));
        Assert.All(results, r => Assert.Equal(FileChange.Created, r.Change));
        Assert.Equal("600 root root", await InNode(target, $"stat -c '%a %U %G' {dir}/pki/ca.key"));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(key)).ToLowerInvariant(), (await InNode(target, $"sha256sum {dir}/pki/ca.key")).Split(' ')[0]);
        Assert.Equal("644 root root", await InNode(target, $"stat -c '%a %U %G' {dir}/manifests/etcd.yaml"));
        Assert.Equal("apiVersion: v1\nkind: Pod", await InNode(target, $"cat {dir}/manifests/etcd.yaml"));
        Assert.Equal("640 nobody nogroup", await InNode(target, $"stat -c '%a %U %G' {dir}/owned/data"));
        Assert.Equal("755 700 700 400", await InNode(target, $"stat -c '%a' {dir}/pki {dir}/private {dir}/private/sub {dir}/private/sub/file | tr '\\n' ' '"));
        Assert.Equal("", await InNode(target, $"find {dir} -name '.kubeps-*'"));          // no staging leftovers
        Assert.Equal("absent", await InNode(other, $"test -e {dir} && echo present || echo absent"));
        Assert.False(Directory.Exists(dir), "the write must not reach the host's /etc");
        Assert.False(File.Exists(files[4].Path), "the write must not reach the host's /var/lib");
        Assert.True(File.Exists(target.UpperPath(files[0].Path)), "the file is in the node's own /etc overlay");
    }

    [Fact]
    public async Task A_second_identical_write_reports_unchanged_and_only_real_differences_are_rewritten()
    {
        var node = _lab.Nodes[2];
        var dir = $"/etc/kubeps-test-{Guid.NewGuid():N}";
        NodeFile[] Batch(string b, int mode) =>
        [
            NodeFile.Text($"{dir}/a.conf", "a\n"),
            NodeFile.Text($"{dir}/b.conf", b),
            new NodeFile($"{dir}/c.key", [7, 7], mode),
        ];
        var session = await Open(_lab.SessionOptions(node));
        await session.WriteFilesAsync(Batch("b\n", 0b110_000_000));
        var inodeBefore = await InNode(node, $"stat -c %i {dir}/a.conf");

        var again = await session.WriteFilesAsync(Batch("b\n", 0b110_000_000));
        Assert.All(again, r => Assert.Equal(FileChange.Unchanged, r.Change));
        Assert.Equal(inodeBefore, await InNode(node, $"stat -c %i {dir}/a.conf"));   // not rewritten

        var changed = await session.WriteFilesAsync(Batch("b2\n", 0b100_000_000));
        Assert.Equal([FileChange.Unchanged, FileChange.Updated, FileChange.Updated], changed.Select(r => r.Change));
        Assert.Equal("b2", await InNode(node, $"cat {dir}/b.conf"));
        Assert.Equal("400", await InNode(node, $"stat -c %a {dir}/c.key"));

        await InNode(node, $"chown nobody {dir}/a.conf");                              // owner drifted on the node
        var repaired = await session.WriteFilesAsync(Batch("b2\n", 0b100_000_000));
        Assert.Equal([FileChange.Updated, FileChange.Unchanged, FileChange.Unchanged], repaired.Select(r => r.Change));
        Assert.Equal("root", await InNode(node, $"stat -c %U {dir}/a.conf"));
    }

    [Fact]
    public async Task ReadFiles_round_trips_bytes_in_one_call_and_maps_missing_files_to_null()
    {
        var node = _lab.Nodes[0];
        var dir = $"/etc/kubeps-test-{Guid.NewGuid():N}";
        var binary = RandomNumberGenerator.GetBytes(300_000);
        var session = await Open(_lab.SessionOptions(node));
        await session.WriteFilesAsync([new NodeFile($"{dir}/blob", binary), new NodeFile($"{dir}/empty", [])]);

        var read = await session.ReadFilesAsync([$"{dir}/blob", $"{dir}/empty", $"{dir}/missing", "/etc/hostname"]);
        Assert.Equal(binary, read[$"{dir}/blob"]);
        Assert.Equal([], read[$"{dir}/empty"]!);
        Assert.Null(read[$"{dir}/missing"]);
        Assert.Equal(node.Name + "\n", Encoding.UTF8.GetString(read["/etc/hostname"]!));
    }

    [Fact]
    public async Task Reading_a_directory_is_Node_ReadFailed()
    {
        var session = await Open(_lab.SessionOptions(_lab.Nodes[0]));
        var e = await Assert.ThrowsAsync<KubeException>(() => session.ReadFilesAsync(["/etc"]));
        Assert.Equal("Node.ReadFailed", e.ErrorId);
        Assert.Contains("/etc", e.Message);
    }

    [Fact]
    public async Task A_non_root_user_with_passwordless_sudo_runs_scripts_and_writes_as_root()
    {
        var node = _lab.Nodes[1];
        await _lab.CreateUserAsync(node, "kpsadmin", passwordlessSudo: true);
        var session = await Open(_lab.SessionOptions(node) with { UserName = "kpsadmin" });
        Assert.Equal("kpsadmin", session.UserName);

        Assert.Equal("0", (await session.RunAsync("id -u")).Output.Trim());
        var path = $"/etc/kubeps-test-{Guid.NewGuid():N}/root-only";
        await session.WriteFilesAsync([new NodeFile(path, [1], 0b110_000_000)]);
        Assert.Equal("600 root", await InNode(node, $"stat -c '%a %U' {path}"));
    }

    [Fact]
    public async Task A_non_root_user_without_passwordless_sudo_is_Node_SudoPasswordRequired()
    {
        var node = _lab.Nodes[2];
        await _lab.CreateUserAsync(node, "kpsuser", passwordlessSudo: false);
        Assert.Equal("kpsuser", (await _lab.SshAsync(node, "id -un", "kpsuser")).EnsureSuccess("login as kpsuser").Output.Trim());

        var e = await OpenFails(Isolated(node) with { UserName = "kpsuser" });
        Assert.Equal("Node.SudoPasswordRequired", e.ErrorId);
        Assert.Equal(KubeErrorCategory.PermissionDenied, e.Category);
        Assert.Contains(node.Address, e.Message);
        Assert.Contains("NOPASSWD", e.RecommendedAction);
    }

    [Fact]
    public async Task A_changed_host_key_is_refused_with_Node_HostKeyMismatch()
    {
        var (node, impostor) = (_lab.Nodes[0], _lab.Nodes[1]);
        var impostorKey = await InNode(impostor, "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub");
        var knownHosts = Path.Combine(_temp, "known_hosts");
        File.WriteAllText(knownHosts, $"{node.Address} {impostorKey}\n");

        var e = await OpenFails(Isolated(node) with { SshOptions = [$"UserKnownHostsFile={knownHosts}"] });
        Assert.Equal("Node.HostKeyMismatch", e.ErrorId);
        Assert.Equal(KubeErrorCategory.SecurityError, e.Category);
        Assert.Contains(node.Address, e.Message);
        Assert.Equal($"{node.Address} {impostorKey}\n", File.ReadAllText(knownHosts));    // nothing was changed
    }

    [Fact]
    public async Task An_unknown_host_key_is_refused_under_Strict_and_recorded_under_AcceptNew()
    {
        var node = _lab.Nodes[2];
        var knownHosts = Path.Combine(_temp, "known_hosts_empty");
        File.WriteAllText(knownHosts, "");
        var options = Isolated(node) with { SshOptions = [$"UserKnownHostsFile={knownHosts}"] };

        var e = await OpenFails(options);
        Assert.Equal("Node.HostKeyUnknown", e.ErrorId);
        Assert.Contains("AcceptNew", e.RecommendedAction);
        Assert.Equal("", File.ReadAllText(knownHosts));

        var session = await Open(options with { HostKeyPolicy = HostKeyPolicy.AcceptNew });
        Assert.Equal(node.Name, (await session.RunAsync("hostname")).Output.Trim());
        var found = await NodeLab.RunAsync("ssh-keygen", ["-F", node.Address, "-f", knownHosts], null, default);
        var nodeKey = (await InNode(node, "cut -d' ' -f2 /etc/ssh/ssh_host_ed25519_key.pub"));
        Assert.Contains(nodeKey, found.Output);
    }

    [Fact]
    public async Task A_key_the_node_does_not_know_is_Node_AuthenticationFailed()
    {
        var key = Path.Combine(_temp, "stranger");
        (await NodeLab.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key], null, default)).EnsureSuccess("ssh-keygen");

        var e = await OpenFails(Isolated(_lab.Nodes[1]) with { KeyFilePath = key });
        Assert.Equal("Node.AuthenticationFailed", e.ErrorId);
        Assert.Equal(KubeErrorCategory.AuthenticationError, e.Category);
        Assert.Contains("publickey", e.Message);
        Assert.DoesNotContain(File.ReadAllText(key).Split('\n')[1], e.ToString());   // no key material anywhere
    }

    [Fact]
    public async Task An_address_nobody_answers_is_Node_Unreachable_within_the_connect_timeout()
    {
        var options = _lab.SessionOptions(_lab.Nodes[0]) with { HostName = _lab.UnusedAddress, ConnectTimeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        var e = await OpenFails(options);
        clock.Stop();
        Assert.Equal("Node.Unreachable", e.ErrorId);
        Assert.Equal(KubeErrorCategory.ConnectionError, e.Category);
        Assert.Contains(_lab.UnusedAddress, e.Message);
        // Bounded by ssh's ConnectTimeout, not a hang: generous slack for a loaded machine.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_port_where_nothing_listens_is_Node_Unreachable()
    {
        var e = await OpenFails(_lab.SessionOptions(_lab.Nodes[0]) with { Port = 2222 });
        Assert.Equal("Node.Unreachable", e.ErrorId);
        Assert.Contains("Connection refused", e.Message);
    }

    [Fact]
    public async Task A_script_that_outlives_its_timeout_is_Node_CommandTimeout_and_is_stopped_on_the_node()
    {
        var node = _lab.Nodes[1];
        var pidFile = $"/tmp/kubeps-timeout-{Guid.NewGuid():N}.pid";
        var session = await Open(_lab.SessionOptions(node));
        var e = await Assert.ThrowsAsync<KubeException>(() => session.RunAsync($"sleep 300 &\necho $! > {pidFile}\nwait\necho late", TimeSpan.FromSeconds(2)));
        Assert.Equal("Node.CommandTimeout", e.ErrorId);
        Assert.Equal(KubeErrorCategory.OperationTimeout, e.Category);

        // The node's own `timeout` ended the script's process group: its sleep is gone (the PID is the node's own).
        var pid = await InNode(node, $"cat {pidFile}");
        Assert.Matches("^[0-9]+$", pid);
        var left = await _lab.ExecAsync(node, $"for i in $(seq 50); do kill -0 {pid} 2>/dev/null || exit 0; sleep 0.1; done; exit 1");
        Assert.Equal(0, left.ExitCode);
        Assert.Equal("ok", (await session.RunAsync("echo ok")).Output.Trim());   // the session still works
    }

    [Fact]
    public async Task Removing_a_session_closes_its_connection_and_forgets_it()
    {
        var session = await Open(Isolated(_lab.Nodes[2]));
        var controlPath = ((OpenSshTransport)session.Transport).ControlPath;
        NodeSessionRegistry.Add(session);
        Assert.Same(session, NodeSessionRegistry.Get(session.HostName.ToUpperInvariant()));
        Assert.True(File.Exists(controlPath));

        await NodeSessionRegistry.RemoveAsync(session);
        Assert.Null(NodeSessionRegistry.Find(session.HostName));
        Assert.True(session.IsClosed);
        var check = await NodeLab.RunAsync("ssh", ["-o", $"ControlPath={controlPath}", "-O", "check", "x"], null, default);
        Assert.NotEqual(0, check.ExitCode);
        var e = await Assert.ThrowsAsync<KubeException>(() => session.RunAsync("true"));
        Assert.Equal("Node.SessionClosed", e.ErrorId);
    }
}
