using System.Management.Automation;
using KubePS.Core.Nodes;

namespace KubePS.Commands;

/// <summary>Opens sessions to Linux nodes over SSH (or on this machine, or into a dry-run folder) for the other KubePS cmdlets.</summary>
/// <remarks>
/// <para>New-KubeNodeSession connects to each node with the system OpenSSH client, the way PowerShell's own SSH remoting does: your ~/.ssh/config (or the file given with -SshConfigFile), ssh agent, ProxyJump and known_hosts all apply. ssh runs in batch mode and never prompts. Host keys are checked strictly: a node whose key is not in known_hosts is refused (error Node.HostKeyUnknown) unless -HostKeyPolicy AcceptNew is given, and a changed key is always refused (Node.HostKeyMismatch).</para>
/// <para>Each session keeps one shared SSH connection to its node (ssh ControlMaster, kept for 120 seconds after last use, with its socket in a private directory), so every later command costs one round trip. Opening a session checks the connection with one command; when the login user is not root, it also checks that sudo -n works, because KubePS runs everything as root (Node.SudoPasswordRequired otherwise).</para>
/// <para>Host names come from the pipeline by value or by property name, and the sessions are opened in parallel (up to -ThrottleLimit at a time). A node that cannot be reached is reported as a non-terminating error with a stable error id (Node.Unreachable, Node.AuthenticationFailed, ...) and the other nodes go on.</para>
/// <para>Sessions are kept for the whole PowerShell process and found again by host name with Get-KubeNodeSession. Opening a session for a host name that already has one replaces it. With -Local, scripts run on this machine (as kubeadm does on the node itself). With -DryRunPath nothing is touched: files and scripts are recorded under DryRunPath/HostName/.</para>
/// </remarks>
/// <example>
/// <code>$nodes = 'cp1', 'cp2', 'w1' | New-KubeNodeSession -UserName root</code>
/// <para>Opens sessions to three nodes in parallel as root, using ~/.ssh/config, the ssh agent and ~/.ssh/known_hosts.</para>
/// </example>
/// <example>
/// <code>New-KubeNodeSession -HostName 192.0.2.10 -UserName admin -KeyFilePath ~/.ssh/id_ed25519 -HostKeyPolicy AcceptNew</code>
/// <para>Logs in as admin with one key file (sudo -n must work for admin), and adds the node's host key to known_hosts if it is not there yet.</para>
/// </example>
/// <example>
/// <code>Import-Csv ./nodes.csv | New-KubeNodeSession -SshConfigFile ./lab/ssh_config -SshOption 'ProxyJump=bastion.example.com'</code>
/// <para>Takes HostName (and UserName, Port) from the columns of a CSV file and reaches the nodes through a jump host.</para>
/// </example>
/// <example>
/// <code>New-KubeNodeSession -HostName cp1, w1 -DryRunPath ./dryrun</code>
/// <para>Creates dry-run sessions: later cmdlets write the files they would put on cp1 and w1 under ./dryrun/cp1 and ./dryrun/w1, and their scripts to commands.sh in those folders.</para>
/// </example>
/// <example>
/// <code>$facts = New-KubeNodeSession -HostName w9 -UserName root | Get-KubeNodeInfo
/// 'w10', 'w11' | New-KubeNodeSession -DryRunPath ./dryrun -Facts $facts | Install-KubePackage -Version 1.30.4</code>
/// <para>Plans the package installation for two new workers from the facts of an existing one, and records it under ./dryrun/w10 and ./dryrun/w11 (repository file, commands.sh) without touching any node.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "KubeNodeSession", DefaultParameterSetName = SshSet)]
[OutputType(typeof(KubeNodeSession))]
public sealed class NewKubeNodeSessionCommand : KubeCmdlet
{
    const string SshSet = "Ssh", LocalSet = "Local", DryRunSet = "DryRun";

    readonly List<NodeSessionOptions> _pending = new();

    /// <summary>
    /// <para>The nodes: DNS names, aliases from the ssh config file, or IP addresses. Several names open several sessions in parallel. With -Local the default is this machine's name.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = SshSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = DryRunSet)]
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LocalSet)]
    [Alias("ComputerName", "Name")]
    public string[] HostName { get; set; } = [];

    /// <summary>
    /// <para>The SSH login user. The default comes from the ssh config (or is your local user name). A user other than root must be allowed to run sudo without a password.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = SshSet)]
    [Alias("User")]
    public string? UserName { get; set; }

    /// <summary>
    /// <para>The SSH port. The default comes from the ssh config (22 unless it says otherwise).</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = SshSet)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>
    /// <para>A private key file to log in with (ssh -i, with IdentitiesOnly=yes). Without it, the keys of the ssh config and the ssh agent are used. KubePS passes only the path to ssh and never reads the key.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = SshSet)]
    [Alias("IdentityFile")]
    public string? KeyFilePath { get; set; }

    /// <summary>
    /// <para>An ssh config file to use instead of ~/.ssh/config and /etc/ssh/ssh_config (ssh -F).</para>
    /// </summary>
    [Parameter(ParameterSetName = SshSet)]
    public string? SshConfigFile { get; set; }

    /// <summary>
    /// <para>Extra ssh options as Name=Value (ssh -o), e.g. ProxyJump=bastion or UserKnownHostsFile=./known_hosts. They win over the config file. BatchMode, StrictHostKeyChecking and the ControlMaster settings are KubePS's own and cannot be changed here; use -HostKeyPolicy for host keys.</para>
    /// </summary>
    [Parameter(ParameterSetName = SshSet)]
    public string[] SshOption { get; set; } = [];

    /// <summary>
    /// <para>Strict (the default): the node's host key must already be in known_hosts. AcceptNew: a key seen for the first time is added to known_hosts; a changed key is still refused.</para>
    /// </summary>
    [Parameter(ParameterSetName = SshSet)]
    [ValidateSet("Strict", "AcceptNew")]
    public string HostKeyPolicy { get; set; } = "Strict";

    /// <summary>
    /// <para>How many seconds ssh may take to connect to a node (default 10).</para>
    /// </summary>
    [Parameter(ParameterSetName = SshSet)]
    [ValidateRange(1, 3600)]
    public int ConnectTimeout { get; set; } = 10;

    /// <summary>
    /// <para>Runs on this machine instead of over SSH, as kubeadm does when it runs on the node itself. Scripts run as root (through sudo -n when PowerShell does not run as root).</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = LocalSet)]
    public SwitchParameter Local { get; set; }

    /// <summary>
    /// <para>A folder for a dry run: nothing connects to the node; files are written under DryRunPath/HostName/ with their modes (owners are listed in files.txt there), and scripts are appended to DryRunPath/HostName/commands.sh.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = DryRunSet)]
    public string? DryRunPath { get; set; }

    /// <summary>
    /// <para>For a dry run: the facts to plan from, e.g. the output of Get-KubeNodeInfo for a real node of the same kind. A dry-run session has no node to probe, so the cmdlets that plan from a node's facts (Install-KubeNodePrerequisite, Install-KubeContainerRuntime, Install-KubePackage, Save-KubeImage, Invoke-KubePreflight) need them; without them they fail with Node.FactsUnavailable on that session.</para>
    /// </summary>
    [Parameter(ParameterSetName = DryRunSet)]
    public NodeFacts? Facts { get; set; }

    /// <summary>
    /// <para>How many sessions to open at the same time (default 32).</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = NodeFleet.DefaultThrottleLimit;

    protected override void ProcessRecord()
    {
        IEnumerable<string?> names = HostName.Length > 0 ? HostName : ParameterSetName == LocalSet ? new string?[] { null } : [];
        foreach (var name in names)
        {
            _pending.Add(new NodeSessionOptions
            {
                HostName = name,
                UserName = UserName,
                Port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : null,
                KeyFilePath = KeyFilePath is null ? null : GetUnresolvedProviderPathFromPSPath(KeyFilePath),
                SshConfigFile = SshConfigFile is null ? null : GetUnresolvedProviderPathFromPSPath(SshConfigFile),
                SshOptions = SshOption,
                HostKeyPolicy = HostKeyPolicy.Equals("AcceptNew", StringComparison.OrdinalIgnoreCase) ? Core.Nodes.HostKeyPolicy.AcceptNew : Core.Nodes.HostKeyPolicy.Strict,
                ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeout),
                Local = Local,
                DryRunPath = DryRunPath is null ? null : GetUnresolvedProviderPathFromPSPath(DryRunPath),
                DryRunFacts = Facts,
            });
        }
    }

    protected override void EndProcessing()
    {
        var pending = _pending.ToList();
        Run((sink, ct) => NodeSessionFactory.OpenManyAsync(pending, sink, ThrottleLimit, register: true, ct));
    }
}
