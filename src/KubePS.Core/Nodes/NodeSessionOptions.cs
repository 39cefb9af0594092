using System.Net;
using System.Text.RegularExpressions;

namespace KubePS.Core.Nodes;

/// <summary>How unknown SSH host keys are treated.</summary>
public enum HostKeyPolicy
{
    /// <summary>The node's key must already be in known_hosts (StrictHostKeyChecking=yes). The default.</summary>
    Strict,
    /// <summary>An unknown key is added to known_hosts; a changed key is still refused (StrictHostKeyChecking=accept-new).</summary>
    AcceptNew,
}

/// <summary>
/// Everything needed to open a session to one node. <see cref="Validate"/> checks it without touching the network;
/// <see cref="NodeSessionFactory.OpenAsync"/> calls it first.
/// </summary>
public sealed partial record NodeSessionOptions
{
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The node: a DNS name, an alias from the ssh config file, or an IP address. For Local, null means this machine's name.</summary>
    public string? HostName { get; init; }

    /// <summary>The SSH login user; null leaves it to the ssh config (or the local user name). Not root: scripts run through sudo -n.</summary>
    public string? UserName { get; init; }

    /// <summary>The SSH port; null leaves it to the ssh config (22 by default).</summary>
    public int? Port { get; init; }

    /// <summary>A private key file for ssh -i (with IdentitiesOnly=yes). Only the path is used; the key is never read by KubePS.</summary>
    public string? KeyFilePath { get; init; }

    /// <summary>An ssh config file (ssh -F); then ~/.ssh/config and /etc/ssh/ssh_config are not read.</summary>
    public string? SshConfigFile { get; init; }

    /// <summary>Extra ssh options, each Name=Value (ssh -o). They win over the ssh config file.</summary>
    public IReadOnlyList<string> SshOptions { get; init; } = [];

    public HostKeyPolicy HostKeyPolicy { get; init; } = HostKeyPolicy.Strict;

    /// <summary>Run on this machine instead of over SSH.</summary>
    public bool Local { get; init; }

    /// <summary>Record into this folder instead of touching a node (files under &lt;DryRunPath&gt;/&lt;HostName&gt;/).</summary>
    public string? DryRunPath { get; init; }

    /// <summary>
    /// For a dry-run session: the facts to plan from, since a dry run has no node to probe (e.g. Get-KubeNodeInfo of a
    /// real node of the same kind). They serve as the session's facts under its own host name. Null: operations that
    /// need facts fail with Node.FactsUnavailable on this session.
    /// </summary>
    public NodeFacts? DryRunFacts { get; init; }

    /// <summary>How long ssh may take to connect (TCP and SSH handshake).</summary>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>How long a script may run when the caller gives no timeout.</summary>
    public TimeSpan CommandTimeout { get; init; } = DefaultCommandTimeout;

    /// <summary>Where ssh's ControlMaster sockets go; null picks a private per-user directory (see OpenSshTransport).</summary>
    public string? ControlPathDirectory { get; init; }

    public NodeTransportKind Kind => Local ? NodeTransportKind.Local : DryRunPath is not null ? NodeTransportKind.DryRun : NodeTransportKind.OpenSsh;

    /// <summary>The host name the session will have (for Local without a name: this machine's name).</summary>
    public string EffectiveHostName => HostName ?? (Local ? Environment.MachineName : "");

    /// <summary>
    /// ssh options KubePS sets itself. They cannot be given through <see cref="SshOptions"/>: BatchMode and host key
    /// checking are security settings with their own switches, the rest would break one-round-trip scripts.
    /// </summary>
    public static readonly IReadOnlySet<string> ReservedSshOptions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "BatchMode", "StrictHostKeyChecking", "ControlMaster", "ControlPath", "RemoteCommand", "RequestTTY",
        "LocalCommand", "PermitLocalCommand", "SessionType", "StdinNull", "ForkAfterAuthentication", "EscapeChar",
    };

    /// <summary>Checks the options without connecting. Throws a KubeException naming the bad value and what is valid.</summary>
    public void Validate()
    {
        var host = EffectiveHostName;
        if (Local && DryRunPath is not null)
            throw Invalid("Node.ConflictingTransport", $"Node {host}: -Local and -DryRunPath cannot be used together.", host,
                "Choose one: -Local runs on this machine, -DryRunPath records into a folder.");
        ValidateHostName(host);
        if (Kind != NodeTransportKind.OpenSsh)
        {
            var sshOnly = new List<string>();
            if (UserName is not null) sshOnly.Add("UserName");
            if (Port is not null) sshOnly.Add("Port");
            if (KeyFilePath is not null) sshOnly.Add("KeyFilePath");
            if (SshConfigFile is not null) sshOnly.Add("SshConfigFile");
            if (SshOptions.Count > 0) sshOnly.Add("SshOption");
            if (HostKeyPolicy != HostKeyPolicy.Strict) sshOnly.Add("HostKeyPolicy");
            if (DryRunFacts is not null && Kind != NodeTransportKind.DryRun)
                throw Invalid("Node.OptionNotApplicable", $"Node {host}: Facts only apply to dry-run sessions, not to a {Kind} session.", host,
                    "Leave -Facts out: the node is probed.");
            if (sshOnly.Count > 0)
                throw Invalid("Node.OptionNotApplicable", $"Node {host}: {string.Join(", ", sshOnly)} only apply to SSH sessions, not to a {Kind} session.", host,
                    "Leave them out, or leave out -Local / -DryRunPath to connect over SSH.");
        }
        if (UserName is not null && !UserNamePattern().IsMatch(UserName))
            throw Invalid("Node.InvalidUserName", $"Node {host}: the user name '{UserName}' is not valid.", UserName,
                "Give a login name such as root or admin (letters, digits, '_', '-', '.'; at most 32 characters).");
        if (Port is { } port && port is < 1 or > 65535)
            throw Invalid("Node.InvalidPort", $"Node {host}: the port {port} is not valid.", port, "Give a TCP port from 1 to 65535.");
        if (KeyFilePath is not null && !File.Exists(KeyFilePath))
            throw Invalid("Node.KeyFileNotFound", $"Node {host}: the key file '{KeyFilePath}' does not exist.", KeyFilePath,
                "Give the path of a private key file, or leave -KeyFilePath out to use the ssh config and agent.");
        if (SshConfigFile is not null && !File.Exists(SshConfigFile))
            throw Invalid("Node.SshConfigNotFound", $"Node {host}: the ssh config file '{SshConfigFile}' does not exist.", SshConfigFile,
                "Give the path of an ssh_config(5) file, or leave -SshConfigFile out to use ~/.ssh/config.");
        foreach (var option in SshOptions) ValidateSshOption(host, option);
        if (DryRunFacts is not null && Kind == NodeTransportKind.OpenSsh)
            throw Invalid("Node.OptionNotApplicable", $"Node {host}: Facts only apply to dry-run sessions, not to an SSH session.", host,
                "Leave -Facts out: the node is probed over SSH.");
        if (ConnectTimeout <= TimeSpan.Zero || ConnectTimeout > TimeSpan.FromHours(1))
            throw Invalid("Node.InvalidTimeout", $"Node {host}: the connect timeout {ConnectTimeout} is not valid.", ConnectTimeout, "Give a timeout from 1 second to 1 hour.");
        if (CommandTimeout <= TimeSpan.Zero || CommandTimeout > TimeSpan.FromDays(1))
            throw Invalid("Node.InvalidTimeout", $"Node {host}: the command timeout {CommandTimeout} is not valid.", CommandTimeout, "Give a timeout from 1 second to 1 day.");
        if (DryRunPath is not null && (DryRunPath.Length == 0 || !Path.IsPathFullyQualified(DryRunPath)))
            throw Invalid("Node.InvalidDryRunPath", $"Node {host}: the dry-run path '{DryRunPath}' is not a full path.", DryRunPath, "Give a full path such as /tmp/kubeps-dryrun.");
        if (ControlPathDirectory is not null && (!Path.IsPathFullyQualified(ControlPathDirectory) || ControlPathDirectory.Length > 65
            || ControlPathDirectory.Any(c => char.IsWhiteSpace(c) || c is '%' or '"')))
            throw Invalid("Node.InvalidControlPath", $"Node {host}: the control path directory '{ControlPathDirectory}' is not usable for ssh sockets.", ControlPathDirectory,
                "Give a full path of at most 65 characters without spaces, '%' or quotes (Unix socket paths are short), or none.");
    }

    /// <summary>Checks a host name: a DNS name or ssh alias, or an IP address. Throws Node.InvalidHostName.</summary>
    public static void ValidateHostName(string? hostName)
    {
        string? problem =
            string.IsNullOrWhiteSpace(hostName) ? "it is empty" :
            hostName.Contains('@') ? "it contains '@' (give the user with -UserName)" :
            IPAddress.TryParse(hostName, out _) ? null :
            hostName.Contains(':') ? "it contains ':' (give the port with -Port)" :
            hostName.Length > 253 ? "it is longer than 253 characters" :
            !HostNamePattern().IsMatch(hostName) ? "it is not a DNS name, ssh alias or IP address (letters, digits, '-', '_' and '.'; no label may start or end with '-')" :
            null;
        if (problem is not null)
            throw new KubeException("Node.InvalidHostName", $"The host name '{hostName}' is not valid: {problem}.",
                KubeErrorCategory.InvalidArgument, hostName, "Give a host name such as cp1 or cp1.example.com, or an address such as 192.0.2.10.");
    }

    static void ValidateSshOption(string host, string option)
    {
        var m = SshOptionPattern().Match(option ?? "");
        if (!m.Success)
            throw Invalid("Node.InvalidSshOption", $"Node {host}: the ssh option '{option}' is not valid.", option,
                "Give options as Name=Value, e.g. ProxyJump=bastion or UserKnownHostsFile=/path/known_hosts.");
        var name = m.Groups["name"].Value;
        if (ReservedSshOptions.Contains(name))
            throw Invalid("Node.InvalidSshOption", $"Node {host}: the ssh option {name} is set by KubePS and cannot be changed with -SshOption.", option,
                name.Equals("StrictHostKeyChecking", StringComparison.OrdinalIgnoreCase)
                    ? "Use -HostKeyPolicy AcceptNew to accept unknown host keys."
                    : "Leave it out; KubePS always runs ssh in batch mode with its own connection sharing.");
    }

    static KubeException Invalid(string id, string message, object? target, string recommendation) =>
        new(id, message, KubeErrorCategory.InvalidArgument, target, recommendation);

    [GeneratedRegex(@"^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$")]
    private static partial Regex HostNamePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$")]
    private static partial Regex UserNamePattern();

    [GeneratedRegex(@"^(?<name>[A-Za-z][A-Za-z0-9]*)(?:=|\s+)(?<value>[^\x00-\x1f\x7f]+)$")]
    private static partial Regex SshOptionPattern();
}
