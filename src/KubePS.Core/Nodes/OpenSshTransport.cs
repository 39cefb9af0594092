using System.Security.Cryptography;
using System.Text;

namespace KubePS.Core.Nodes;

/// <summary>
/// Reaches a node with the system OpenSSH client, the way PowerShell's own SSH remoting does: ~/.ssh/config (or the
/// -F file), agents, ProxyJump and known_hosts all work as they do for a person typing ssh. ssh always runs in batch
/// mode (it never prompts), checks host keys strictly unless the session asked for accept-new, and shares one
/// ControlMaster connection per node and settings (ControlPersist), so each script costs one round trip over a warm
/// connection. Scripts travel on standard input to bash -s (sudo -n bash -s when the login user is not root), never on
/// the command line.
/// </summary>
public sealed class OpenSshTransport : ShellTransport
{
    /// <summary>How long an idle ControlMaster stays up.</summary>
    public static readonly TimeSpan ControlPersist = TimeSpan.FromSeconds(120);

    readonly NodeSessionOptions _options;
    readonly string _controlPath;
    int _disposed;

    public OpenSshTransport(NodeSessionOptions options)
        : base(options.EffectiveHostName, options.CommandTimeout)
    {
        options.Validate();
        if (options.Kind != NodeTransportKind.OpenSsh)
            throw new ArgumentException("options do not describe an SSH session", nameof(options));
        _options = options;
        _controlPath = Multiplexed ? SshControlDirectory.ControlPathFor(options) : "";
    }

    /// <summary>The login user as the node reported it (after <see cref="ConnectAsync"/>).</summary>
    public string? RemoteUser { get; private set; }

    static bool Multiplexed => !OperatingSystem.IsWindows();

    /// <summary>The ControlMaster socket of this node and settings.</summary>
    public string ControlPath => _controlPath;

    /// <summary>
    /// Opens (or reuses) the connection and asks the node who we are, in one round trip; a non-root user then gets a
    /// second one that checks sudo -n. Throws the classified KubeException when the node cannot be used.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var timeout = _options.ConnectTimeout + TimeSpan.FromSeconds(20);
        var outcome = await ProcessRunner.RunAsync("ssh", Arguments("id -un; id -u"), null, timeout, cancellationToken).ConfigureAwait(false);
        if (outcome.TimedOut)
            throw new KubeException("Node.Unreachable", $"{HostName}: ssh did not connect within {timeout.TotalSeconds:0} s.", KubeErrorCategory.ConnectionError,
                HostName, $"Check that {HostName} is up and that sshd answers on its port.");
        if (outcome.ExitCode != 0) throw StartFailure(outcome, outcome.StandardError);
        var lines = Encoding.UTF8.GetString(outcome.StandardOutput).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length < 2 || !int.TryParse(lines[^1], out var uid))
            throw new KubeException("Node.ProbeFailed", $"{HostName}: the login shell did not answer 'id -un; id -u' as expected (got: {NodeScripts.Tail(string.Join("\n", lines))}).",
                KubeErrorCategory.InvalidData, HostName, $"Check that the login shell of the user on {HostName} is a POSIX shell and prints nothing extra.");
        RemoteUser = lines[^2];
        UsesSudo = uid != 0;
        if (UsesSudo) await RunAsync("true", _options.ConnectTimeout + TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
    }

    private protected override Task<ProcessOutcome> ExecuteBashAsync(byte[] input, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var remote = string.Join(' ', UsesSudo ? ["sudo", "-n", .. TimeoutBash(timeout)] : TimeoutBash(timeout));
        return ProcessRunner.RunAsync("ssh", Arguments(remote), (s, ct) => s.WriteAsync(input, ct).AsTask(),
            LocalDeadline(timeout) + _options.ConnectTimeout, cancellationToken);
    }

    /// <summary>The ssh command line (without the program name) that runs <paramref name="remoteCommand"/>.</summary>
    internal List<string> Arguments(string? remoteCommand, params string[] control)
    {
        var a = new List<string>
        {
            // First: ssh takes the first value given for an option, so these cannot be overridden by -SshOption or the config file.
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=" + (_options.HostKeyPolicy == HostKeyPolicy.AcceptNew ? "accept-new" : "yes"),
        };
        // Win32-OpenSSH has no connection multiplexing: every script is its own connection there.
        if (Multiplexed) a.AddRange(["-o", "ControlMaster=auto", "-o", "ControlPath=" + _controlPath]);
        foreach (var o in _options.SshOptions) { a.Add("-o"); a.Add(o); }
        // Defaults the caller may override with -SshOption (given above, so they win).
        if (Multiplexed) a.AddRange(["-o", $"ControlPersist={(int)ControlPersist.TotalSeconds}s"]);
        a.AddRange([
            "-o", $"ConnectTimeout={Math.Max(1, (int)Math.Ceiling(_options.ConnectTimeout.TotalSeconds))}",
            "-o", "ServerAliveInterval=5",
            "-o", "ServerAliveCountMax=3",
            "-o", "ClearAllForwardings=yes",
            "-o", "LogLevel=ERROR",
        ]);
        if (_options.SshConfigFile is { } cfg) { a.Add("-F"); a.Add(cfg); }
        if (_options.KeyFilePath is { } key) { a.Add("-i"); a.Add(key); a.Add("-o"); a.Add("IdentitiesOnly=yes"); }
        if (_options.Port is { } port) { a.Add("-p"); a.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        if (_options.UserName is { } user) { a.Add("-l"); a.Add(user); }
        a.AddRange(control);
        a.Add("-T");
        a.Add(HostName);
        if (remoteCommand is not null) a.Add(remoteCommand);
        return a;
    }

    private protected override KubeException StartFailure(ProcessOutcome outcome, string error)
    {
        var user = _options.UserName ?? RemoteUser;
        if (outcome.ExitCode == 255) return SshErrors.Classify(HostName, user, _options, error);
        if (UsesSudo && outcome.ExitCode == 1)
            return new KubeException("Node.SudoPasswordRequired",
                $"{HostName}: user {user ?? "(login user)"} is not root and sudo -n did not run the script: {NodeScripts.Tail(error)}",
                KubeErrorCategory.PermissionDenied, HostName,
                $"Allow passwordless sudo for {user ?? "the user"} on {HostName} (e.g. '{user ?? "admin"} ALL=(ALL) NOPASSWD: ALL' in /etc/sudoers.d/), or log in as root with -UserName root.");
        return new KubeException("Node.ShellFailed",
            $"{HostName}: could not start bash{(UsesSudo ? " through sudo" : "")} (exit code {outcome.ExitCode}): {NodeScripts.Tail(error)}",
            KubeErrorCategory.ResourceUnavailable, HostName, $"Check that bash and coreutils' timeout are installed on {HostName}{(UsesSudo ? " and that sudo is" : "")}.");
    }

    private protected override KubeException? CutOff(ProcessOutcome outcome) =>
        outcome.ExitCode == 255
            ? new KubeException("Node.ConnectionLost",
                $"{HostName}: the SSH connection was lost while the script ran; it may have run only in part.",
                KubeErrorCategory.ConnectionError, HostName,
                $"Check that {HostName} is up and its sshd runs, then run the operation again (KubePS operations can be repeated safely).")
            : null;

    /// <summary>Closes the ControlMaster of this node and settings (ssh -O exit). Other sessions with the same settings reconnect on their next use.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!Multiplexed || !File.Exists(_controlPath)) return;
        try
        {
            await ProcessRunner.RunAsync("ssh", Arguments(null, "-O", "exit"), null, TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
        }
        catch (KubeException) { /* no ssh program: nothing to close */ }
    }
}

/// <summary>Where ControlMaster sockets live: a private (0700) directory per user, with a short path.</summary>
internal static class SshControlDirectory
{
    // A Unix socket path holds at most 104 bytes on macOS, 108 on Linux; ssh adds a 17-byte random suffix while it
    // creates the master socket; the socket name below is 20 characters.
    const int MaxDirectoryLength = 104 - 1 - 20 - 17 - 1;

    static readonly Lazy<string> Default = new(CreateDefault, LazyThreadSafetyMode.ExecutionAndPublication);

    const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// The socket path for these settings: the directory plus a hash of everything that decides what the connection is
    /// (host, user, port, config file, key, host key policy, options), so sessions with different settings (another
    /// known_hosts, another key) never share a master connection that was authenticated under other rules.
    /// </summary>
    public static string ControlPathFor(NodeSessionOptions o)
    {
        var dir = o.ControlPathDirectory is { } d ? Ensure(d) : Default.Value;
        var identity = string.Join("\n", o.EffectiveHostName.ToLowerInvariant(), o.UserName ?? "", o.Port?.ToString() ?? "",
            o.SshConfigFile ?? "", o.KeyFilePath ?? "", o.HostKeyPolicy.ToString(), string.Join("\n", o.SshOptions));
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..20].ToLowerInvariant();
        return Path.Combine(dir, hash);
    }

    static string CreateDefault()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } xdg && Directory.Exists(xdg))
            candidates.Add(Path.Combine(xdg, "kubeps-ssh"));
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0 && Directory.Exists(home))
            candidates.Add(Path.Combine(home, ".kubeps", "cm"));
        // ssh parses "-o ControlPath=..." like a config line and expands % tokens: keep paths free of both.
        foreach (var c in candidates.Where(c => c.Length <= MaxDirectoryLength && !c.Any(ch => char.IsWhiteSpace(ch) || ch is '%' or '"')))
        {
            try { return Ensure(c); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        // mkdtemp: a fresh 0700 directory nobody else can have prepared.
        return Directory.CreateTempSubdirectory("kubeps-ssh-").FullName;
    }

    /// <summary>Creates the directory (and its parent) 0700, or tightens an existing one of ours to 0700.</summary>
    static string Ensure(string dir)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
            return dir;
        }
        var parent = Path.GetDirectoryName(dir);
        if (parent is not null && !Directory.Exists(parent)) Directory.CreateDirectory(parent, Private);
        var info = Directory.CreateDirectory(dir, Private);
        if (info.LinkTarget is not null)
            throw new IOException($"{dir} is a symbolic link");
        if (File.GetUnixFileMode(dir) != Private) File.SetUnixFileMode(dir, Private);
        return dir;
    }
}
