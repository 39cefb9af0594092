using System.Diagnostics;
using System.Text.RegularExpressions;
using KubePS.Core.Nodes;

namespace KubePS.Tests.Lab;

/// <summary>One node of a lab: a network namespace with its own address, filesystem view and sshd.</summary>
public sealed class LabNode
{
    internal LabNode(NodeLab lab, int index)
    {
        Lab = lab;
        Index = index;
        Name = $"n{index}";
        Address = $"10.250.{lab.Id}.{10 + index}";
        NetNs = $"{lab.Prefix}n{index}";
        HostVeth = $"{lab.Prefix}v{index}";
        Directory = Path.Combine(lab.StateDirectory, "nodes", Name);
    }

    public NodeLab Lab { get; }
    public int Index { get; }
    /// <summary>The node's own hostname (n1, n2, ...), also its alias in the lab's ssh_config.</summary>
    public string Name { get; }
    /// <summary>10.250.&lt;lab id&gt;.(10 + index): unique across labs, so tests use it as the session's host name.</summary>
    public string Address { get; }
    public string NetNs { get; }
    /// <summary>The bridge side of the node's veth pair (cut the link by setting it down).</summary>
    public string HostVeth { get; }
    /// <summary>The node's state directory on the host (overlay upper dirs, root, tmp, sshd.log).</summary>
    public string Directory { get; }

    /// <summary>The PID (in the host's PID namespace) of the node's sshd, which is PID 1 inside the node.</summary>
    public int SshdPid
    {
        get
        {
            var unshare = File.ReadAllText(Path.Combine(Directory, "node.pid")).Trim();
            var children = File.ReadAllText($"/proc/{unshare}/task/{unshare}/children").Trim();
            if (children.Length == 0) throw new InvalidOperationException($"lab node {Name} has no running sshd (unshare PID {unshare})");
            return int.Parse(children.Split(' ')[0]);
        }
    }

    /// <summary>The host-side path of what the node sees at <paramref name="nodePath"/> under an overlay (read only: never write there).</summary>
    public string UpperPath(string nodePath)
    {
        foreach (var root in new[] { "/etc", "/var/lib", "/var/log", "/opt", "/usr/local", "/home" })
            if (nodePath == root || nodePath.StartsWith(root + "/", StringComparison.Ordinal))
                return Path.Combine(Directory, "ovl", root.Replace('/', '_'), "upper", nodePath[root.Length..].TrimStart('/'));
        throw new ArgumentException($"{nodePath} is not under a node overlay", nameof(nodePath));
    }

    public override string ToString() => $"{Name} ({Address})";
}

/// <summary>Output of a command the lab ran (inside a node with nsenter, or with the system ssh client).</summary>
public sealed record LabCommandResult(int ExitCode, string Output, string Error)
{
    public LabCommandResult EnsureSuccess(string what)
    {
        if (ExitCode != 0) throw new InvalidOperationException($"{what} failed with exit code {ExitCode}: {Error}{Output}");
        return this;
    }
}

/// <summary>
/// A multi-node lab on this machine (see lab-env.sh): N nodes, each a network namespace on the lab's own bridge and
/// /24, with private mount/pid/uts namespaces, overlays of /etc, /var/lib, /var/log, /opt, /usr/local and /home, fresh
/// /root, /tmp, /run, and its own sshd with its own ed25519 host key. Clients use the lab's ssh_config, key and
/// known_hosts (StrictHostKeyChecking yes with the generated host keys). Needs root.
/// </summary>
public sealed class NodeLab : IAsyncDisposable
{
    /// <summary>The lab ids (third octet of 10.250.X.0/24) this family of labs owns.</summary>
    public const int FirstId = 128, LastId = 254;

    /// <summary>Where lab state lives. Outside every overlaid path, and not the shared reference lab's /tmp/kubeps-lab.</summary>
    public static readonly string Root = Path.Combine(Path.GetTempPath(), "kpslab");

    static readonly string ScriptDirectory = Path.Combine(AppContext.BaseDirectory, "Lab");

    readonly List<LabNode> _nodes = new();
    int _disposed;

    NodeLab(int id)
    {
        Id = id;
        Prefix = $"kpl{id}";
        StateDirectory = Path.Combine(Root, id.ToString());
    }

    public int Id { get; }
    /// <summary>Every network object of this lab starts with it: kpl&lt;id&gt;.</summary>
    public string Prefix { get; }
    public string StateDirectory { get; }
    /// <summary>The nodes have the lab's command stand-ins (see <see cref="CreateAsync(int, bool, CancellationToken)"/>).</summary>
    public bool HasShims { get; private init; }
    /// <summary>Host folders the nodes see where they are (<see cref="KeptFolders"/> unless the lab was made with others).</summary>
    public IReadOnlyList<string> Keep { get; private init; } = KeptFolders;
    public string Bridge => Prefix + "br";
    public string Subnet => $"10.250.{Id}.0/24";
    public string Gateway => $"10.250.{Id}.1";
    /// <summary>An address on the lab's bridge where no node answers (nothing replies to ARP).</summary>
    public string UnusedAddress => $"10.250.{Id}.250";
    public IReadOnlyList<LabNode> Nodes => _nodes;
    public string SshConfigFile => Path.Combine(StateDirectory, "ssh_config");
    public string KnownHostsFile => Path.Combine(StateDirectory, "known_hosts");
    public string ClientKeyFile => Path.Combine(StateDirectory, "id_ed25519");

    /// <summary>Creates a lab of <paramref name="nodeCount"/> nodes; cleans up leftovers of crashed labs first.</summary>
    public static Task<NodeLab> CreateAsync(int nodeCount, CancellationToken cancellationToken = default) =>
        CreateAsync(nodeCount, withShims: false, cancellationToken);

    /// <summary>
    /// Creates a lab of <paramref name="nodeCount"/> nodes. With <paramref name="withShims"/>, every node gets the lab's
    /// stand-ins (Lab/shims, README.md) for the commands that would change the shared kernel or the host's /usr
    /// (systemctl, sysctl, modprobe, swapoff, apt-get, a dpkg guard, timedatectl) in its private /usr/local/sbin, which
    /// is first in sshd's PATH, a loopback /etc/resolv.conf (name lookups fail at once), and the /run/systemd/system
    /// marker, so node preparation can run on the nodes for real. Cleans up leftovers of crashed labs first.
    /// </summary>
    public static Task<NodeLab> CreateAsync(int nodeCount, bool withShims, CancellationToken cancellationToken = default) =>
        CreateAsync(nodeCount, withShims, KeptFolders, cancellationToken);

    /// <summary>A lab whose nodes see <paramref name="keep"/> (host folders) where they are, also under /root or /tmp.</summary>
    internal static async Task<NodeLab> CreateAsync(int nodeCount, bool withShims, IReadOnlyList<string> keep, CancellationToken cancellationToken)
    {
        if (nodeCount is < 1 or > 200) throw new ArgumentOutOfRangeException(nameof(nodeCount));
        if (keep.FirstOrDefault(k => k.Contains(':')) is { } bad) throw new ArgumentException($"a kept folder cannot contain ':': {bad}", nameof(keep));
        RequireRootAndTools();
        var id = await LabSlots.AllocateAsync(cancellationToken);
        var lab = new NodeLab(id) { HasShims = withShims, Keep = keep };
        try
        {
            var up = await lab.ScriptAsync("lab-up.sh", cancellationToken, nodeCount.ToString());
            if (up.ExitCode != 0) throw new InvalidOperationException($"lab-up.sh failed ({up.ExitCode}): {up.Error}{up.Output}");
            for (int i = 1; i <= nodeCount; i++) lab._nodes.Add(new LabNode(lab, i));
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    internal static void RequireRootAndTools()
    {
        if (!System.Environment.IsPrivilegedProcess)
            throw new InvalidOperationException(
                "The multi-node lab needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN for network namespaces, overlays and its own sshd). " +
                "Run the tests as root (CI does).");
        var missing = new[] { "/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen", "/usr/bin/nsenter", "/usr/bin/unshare", "/usr/bin/sudo" }
            .Where(p => !File.Exists(p)).ToList();
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip")) missing.Add("ip");
        if (missing.Count > 0)
            throw new InvalidOperationException($"The lab needs {string.Join(", ", missing)}: apt-get install openssh-server openssh-client iproute2 util-linux sudo.");
    }

    /// <summary>
    /// Session options that reach <paramref name="node"/> by its address with the lab's ssh_config and client key
    /// (strict host key checking against the lab's known_hosts). Adjust with a <c>with</c> expression.
    /// </summary>
    public NodeSessionOptions SessionOptions(LabNode node) => new()
    {
        HostName = node.Address,
        SshConfigFile = SshConfigFile,
        KeyFilePath = ClientKeyFile,
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>Opens sessions to all nodes in parallel (not registered).</summary>
    public async Task<IReadOnlyList<KubeNodeSession>> OpenSessionsAsync(CancellationToken cancellationToken = default) =>
        await Task.WhenAll(_nodes.Select(n => NodeSessionFactory.OpenAsync(SessionOptions(n), cancellationToken)));

    /// <summary>
    /// Runs a bash script as root inside the node's namespaces (mount, uts, pid, net) with nsenter: a judge that does not
    /// go through ssh or any KubePS code.
    /// </summary>
    public Task<LabCommandResult> ExecAsync(LabNode node, string script, CancellationToken cancellationToken = default) =>
        RunAsync("nsenter", ["-t", node.SshdPid.ToString(), "-m", "-u", "-p", "-n", "--", "/bin/bash", "-c", script], null, cancellationToken);

    /// <summary>Runs a command on the node with the system ssh client and the lab's config (no multiplexing).</summary>
    public Task<LabCommandResult> SshAsync(LabNode node, string command, string? user = null, CancellationToken cancellationToken = default)
    {
        var args = new List<string> { "-F", SshConfigFile, "-i", ClientKeyFile };
        if (user is not null) { args.Add("-l"); args.Add(user); }
        args.Add(node.Address);
        args.Add(command);
        return RunAsync("ssh", args, null, cancellationToken);
    }

    /// <summary>
    /// Kills the node's sshd, which is PID 1 of the node: the kernel then kills every process of the node (sessions,
    /// scripts). Connections to it close. <see cref="RestartNodeAsync"/> brings it back with its files.
    /// </summary>
    public Task KillSshdAsync(LabNode node) =>
        RunAsync("kill", ["-9", node.SshdPid.ToString()], null, CancellationToken.None).ContinueWith(t => t.Result.EnsureSuccess($"kill sshd of {node}"));

    /// <summary>Starts a node again (after <see cref="KillSshdAsync"/>): same address, host key and files.</summary>
    public async Task RestartNodeAsync(LabNode node, CancellationToken cancellationToken = default)
    {
        var script = $"""
            . "$0"
            D=$(node_dir {node.Index})
            nsenter --net=/run/netns/{node.NetNs} unshare --mount --uts --pid --fork --kill-child --mount-proc -- \
              /bin/bash "{Path.Combine(ScriptDirectory, "node-init.sh")}" {node.Index} >>"$D/sshd.log" 2>&1 </dev/null &
            echo $! > "$D/node.pid"
            deadline=$((SECONDS + 20))
            until (exec 3<>/dev/tcp/{node.Address}/22) 2>/dev/null; do [ $SECONDS -lt $deadline ] || exit 1; sleep 0.02; done
            """;
        (await RunAsync("bash", ["-c", script, Path.Combine(ScriptDirectory, "lab-env.sh")], ScriptEnvironment(), cancellationToken))
            .EnsureSuccess($"restart of {node}");
    }

    /// <summary>Cuts the node's link (its bridge port goes down): packets are dropped, nothing is refused.</summary>
    public async Task CutLinkAsync(LabNode node) =>
        (await RunAsync("ip", ["link", "set", node.HostVeth, "down"], null, CancellationToken.None)).EnsureSuccess($"cut link of {node}");

    public async Task RestoreLinkAsync(LabNode node) =>
        (await RunAsync("ip", ["link", "set", node.HostVeth, "up"], null, CancellationToken.None)).EnsureSuccess($"restore link of {node}");

    /// <summary>
    /// Creates a login user in the node (in the node's own /etc and /home) that accepts the lab's client key; with
    /// <paramref name="passwordlessSudo"/> it may run anything through sudo without a password.
    /// </summary>
    public async Task CreateUserAsync(LabNode node, string user, bool passwordlessSudo)
    {
        var script = $"""
            set -e
            id -u {user} >/dev/null 2>&1 || useradd -m -s /bin/bash {user}
            usermod -p '*' {user}   # no password, but not locked (sshd without PAM refuses locked accounts)
            install -d -m 700 -o {user} -g {user} /home/{user}/.ssh
            install -m 600 -o {user} -g {user} /root/.ssh/authorized_keys /home/{user}/.ssh/authorized_keys
            {(passwordlessSudo ? $"echo '{user} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/{user}; chmod 440 /etc/sudoers.d/{user}" : $"rm -f /etc/sudoers.d/{user}")}
            """;
        (await ExecAsync(node, script)).EnsureSuccess($"create user {user} on {node}");
    }

    Dictionary<string, string?> ScriptEnvironment() => new()
    {
        ["LAB_ID"] = Id.ToString(), ["LAB_ROOT"] = Root, ["LAB_SHIMS"] = HasShims ? "1" : "0", ["LAB_KEEP"] = string.Join(':', Keep),
    };

    /// <summary>
    /// Host folders every node sees at the same path even when they lie under /root or /tmp, which the nodes get fresh:
    /// the repository (the lab's executables and stand-ins run from its bin folders) and the .NET runtime's root.
    /// </summary>
    public static IReadOnlyList<string> KeptFolders { get; } =
    [
        Infrastructure.Repo.Root,
        Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..")),
    ];

    Task<LabCommandResult> ScriptAsync(string script, CancellationToken cancellationToken, params string[] args) =>
        RunAsync("/bin/bash", [Path.Combine(ScriptDirectory, script), .. args], ScriptEnvironment(), cancellationToken);

    internal static async Task<LabCommandResult> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = p.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await p.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return new LabCommandResult(p.ExitCode, await output, await error);
    }

    /// <summary>Closes the lab's registered sessions, then lab-down.sh: kills every node, removes veths, netns, bridge and state.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var mine = NodeSessionRegistry.All.Where(s => s.HostName.StartsWith($"10.250.{Id}.", StringComparison.Ordinal)).ToList();
        foreach (var s in mine) await NodeSessionRegistry.RemoveAsync(s);
        try
        {
            var down = await ScriptAsync("lab-down.sh", CancellationToken.None);
            if (down.ExitCode != 0) throw new InvalidOperationException($"lab-down.sh for lab {Id} failed: {down.Error}{down.Output}");
        }
        finally
        {
            LabSlots.Release(Id);
        }
    }

    internal static Task<LabCommandResult> DownAsync(int id) =>
        RunAsync("/bin/bash", [Path.Combine(ScriptDirectory, "lab-down.sh")], new Dictionary<string, string?> { ["LAB_ID"] = id.ToString(), ["LAB_ROOT"] = Root }, CancellationToken.None);

    public override string ToString() => $"lab {Id} ({Subnet}, {_nodes.Count} nodes)";
}

/// <summary>
/// Allocates lab ids across threads and processes: under an exclusive lock file, a slot is taken by writing
/// &lt;Root&gt;/&lt;id&gt;/owner ("pid starttime"). A slot whose owner process is gone, or network objects of the family
/// with no live owner, are leftovers of a crashed run and are torn down (their own prefix only) before a new lab starts.
/// Ids are handed out round-robin so a recently used address is not reused at once.
/// </summary>
internal static class LabSlots
{
    static readonly string LockFile = Path.Combine(NodeLab.Root, "alloc.lock");
    static readonly string NextFile = Path.Combine(NodeLab.Root, "next");

    public static async Task<int> AllocateAsync(CancellationToken cancellationToken)
    {
        NodeLab.RequireRootAndTools();
        System.IO.Directory.CreateDirectory(NodeLab.Root);
        using var held = await LockAsync(cancellationToken);
        await SweepAsync();
        int span = NodeLab.LastId - NodeLab.FirstId + 1;
        int start = File.Exists(NextFile) && int.TryParse(File.ReadAllText(NextFile), out var n) && n is >= NodeLab.FirstId and <= NodeLab.LastId ? n : NodeLab.FirstId;
        for (int k = 0; k < span; k++)
        {
            int id = NodeLab.FirstId + (start - NodeLab.FirstId + k) % span;
            var dir = Path.Combine(NodeLab.Root, id.ToString());
            if (System.IO.Directory.Exists(dir)) continue;
            System.IO.Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "owner"), Self());
            File.WriteAllText(NextFile, (id == NodeLab.LastId ? NodeLab.FirstId : id + 1).ToString());
            return id;
        }
        throw new InvalidOperationException($"All lab ids {NodeLab.FirstId}..{NodeLab.LastId} are in use by live processes.");
    }

    public static void Release(int id)
    {
        try { System.IO.Directory.Delete(Path.Combine(NodeLab.Root, id.ToString()), recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    /// <summary>Tears down every lab of the family whose owner is not a live process.</summary>
    static async Task SweepAsync()
    {
        var ids = new HashSet<int>();
        foreach (var d in System.IO.Directory.GetDirectories(NodeLab.Root))
            if (int.TryParse(Path.GetFileName(d), out var id) && id is >= NodeLab.FirstId and <= NodeLab.LastId) ids.Add(id);
        var links = await NodeLab.RunAsync("ip", ["-o", "link", "show"], null, CancellationToken.None);
        var netns = await NodeLab.RunAsync("ip", ["netns", "list"], null, CancellationToken.None);
        foreach (Match m in Regex.Matches(links.Output + "\n" + netns.Output, @"\bkpl(\d{3})(?:br|n\d+|v\d+)\b"))
            if (int.TryParse(m.Groups[1].Value, out var id) && id is >= NodeLab.FirstId and <= NodeLab.LastId) ids.Add(id);
        foreach (var id in ids)
        {
            var owner = Path.Combine(NodeLab.Root, id.ToString(), "owner");
            if (File.Exists(owner) && IsAlive(File.ReadAllText(owner))) continue;
            var down = await NodeLab.DownAsync(id);
            if (down.ExitCode != 0) throw new InvalidOperationException($"cleaning up leftovers of lab {id} failed: {down.Error}");
            Release(id);
        }
    }

    static string Self() => $"{System.Environment.ProcessId} {StartTime(System.Environment.ProcessId)}";

    static bool IsAlive(string owner)
    {
        var parts = owner.Trim().Split(' ');
        return parts.Length == 2 && int.TryParse(parts[0], out var pid) && StartTime(pid) is { } start && start == parts[1];
    }

    /// <summary>Field 22 of /proc/&lt;pid&gt;/stat (start time in clock ticks): tells a live owner from a reused PID.</summary>
    static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (IOException) { return null; }
    }

    static async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }
}
