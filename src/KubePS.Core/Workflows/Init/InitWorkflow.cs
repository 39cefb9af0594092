using System.Text;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Pki;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// kubeadm init as an ordered list of phases, named as kubeadm names them (kubeadm-facts §0), run on one node through
/// one <see cref="InitContext"/>. Everything is checked before the node is touched (configuration, phase names,
/// names and addresses); then the node's facts are gathered and its files read once, and each phase renders what it
/// wants and hands it to the node or cluster applier, which changes only what differs. A re-run therefore changes
/// nothing, and a run that stopped half-way finishes when run again.
/// </summary>
public static class InitWorkflow
{
    /// <summary>
    /// Init.OneNode when a second node comes to one init (a second session piped to one Initialize-KubeControlPlane):
    /// a cluster is initialized on one node and the others join it. Null while no node was initialized yet
    /// (<paramref name="initializedNode"/> null).
    /// </summary>
    public static KubeException? RefuseSecondNode(string? initializedNode, string hostName) =>
        initializedNode is null ? null
        : new KubeException("Init.OneNode",
            $"Initialize-KubeControlPlane initializes one node; {initializedNode} was initialized already, so {hostName} was not.",
            KubeErrorCategory.InvalidOperation, hostName, $"Join {hostName} and the other nodes to {initializedNode} with Join-KubeNode.");

    /// <summary>The phases in kubeadm's order.</summary>
    public static IReadOnlyList<Phase<InitContext>> Phases { get; } =
    [
        new PreflightPhase(),
        .. CertificatePhase<InitContext>.All,
        .. KubeConfigPhase<InitContext>.Init,
        new EtcdLocalPhase<InitContext>(),
        .. ControlPlanePhase<InitContext>.All,
        new KubeletStartPhase<InitContext>(),
        new WaitControlPlanePhase<InitContext>(),
        new UploadConfigKubeadmPhase(),
        new UploadConfigKubeletPhase(),
        new UploadCertsPhase(),
        new MarkControlPlanePhase<InitContext>(),
        new BootstrapTokenPhase(),
        new KubeletFinalizePhase<InitContext>(),
        new CoreDnsAddonPhase<InitContext>(),
        new KubeProxyAddonPhase<InitContext>(),
    ];

    /// <summary>Every phase name (for -Phase/-SkipPhase validation and completion).</summary>
    public static IReadOnlyList<string> PhaseNames { get; } = Phases.Select(p => p.Name).ToList();

    /// <summary>
    /// Runs init on <paramref name="session"/>'s node. With <see cref="InitRequest.DryRunPath"/> nothing is connected: a
    /// dry-run session named after <paramref name="session"/> (or, without one, after the node name) records under that
    /// folder. Returns the control plane; a failing phase throws its KubeException prefixed with the phase and node.
    /// </summary>
    public static async Task<KubeControlPlane> RunAsync(KubeNodeSession? session, InitRequest request, IOperationSink sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sink);
        request.Validate();
        var node = request.DryRunPath is { } path ? DryRunSession(session, request, path)
            : session ?? throw new KubeException("Init.SessionRequired", "Initialize-KubeControlPlane needs a node session, or -DryRun with -OutputPath.",
                KubeErrorCategory.InvalidArgument, null, "Pipe a session from New-KubeNodeSession, or add -DryRun -OutputPath <folder>.");

        using var context = new InitContext(node, request, sink);
        sink.WriteVerbose($"{node.HostName}: kubeadm init, Kubernetes {request.Configuration.KubernetesVersion}{(node.Kind == NodeTransportKind.DryRun ? $", dry run into {node.DryRunDirectory}" : "")}");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await context.PrepareAsync(ct).ConfigureAwait(false);
        var results = await PhaseRunner.RunAsync(Phases, context, node.HostName, request.Selection, sink, ct).ConfigureAwait(false);
        return Result(context, results, watch.Elapsed);
    }

    static KubeNodeSession DryRunSession(KubeNodeSession? session, InitRequest request, string path)
    {
        var host = session?.HostName ?? request.GivenNodeName
            ?? throw new KubeException("Init.NodeNameRequired",
                "A dry run without a session names its node folder after the node, and the configuration has no nodeRegistration.name and no -NodeName was given.",
                KubeErrorCategory.InvalidArgument, null, "Give -NodeName, set nodeRegistration.name in the InitConfiguration, or pipe a session.");
        if (string.Equals(host, "cluster", StringComparison.OrdinalIgnoreCase))
            throw new KubeException("Init.InvalidNodeName", "A dry run keeps the cluster's objects in its 'cluster' folder, so a node cannot be named 'cluster' there.",
                KubeErrorCategory.InvalidArgument, host, "Use another node name for the dry run.");
        return new KubeNodeSession(host, NodeTransportKind.DryRun, new DryRunTransport(host, path));
    }

    static KubeControlPlane Result(InitContext c, IReadOnlyList<PhaseResult> results, TimeSpan duration)
    {
        var changes = c.Changes.All;
        string? caPem = c.Node.Current(c.CertPath("ca.crt")) is { } ca ? Encoding.ASCII.GetString(ca) : null;
        return new KubeControlPlane
        {
            Endpoint = c.ControlPlaneUrl,
            KubernetesVersion = c.KubernetesVersion,
            ClusterName = c.Configuration.ClusterName,
            CACertificatePem = caPem,
            CACertHash = caPem is null ? null : CACertHash.Compute(PkiFiles.ParseCertificates(caPem, c.CertPath("ca.crt"))[0]),
            BootstrapTokens = c.Tokens.ToList(),
            CertificateKey = c.CertificateKey,
            AdminKubeConfig = c.FindKubeConfig(KubeConfigRole.Admin),
            Node = c.NodeName,
            AdvertiseAddress = c.AdvertiseAddress.ToString(),
            Session = c.Node.Session,
            Configuration = c.Configuration,
            DryRun = c.Node.IsDryRun,
            DryRunPath = c.Node.IsDryRun ? Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(c.Node.Session.DryRunDirectory!)) : null,
            Phases = results.Select(r => new KubeControlPlane.PhaseOutcome(r.Phase, r.Status, r.Duration,
                changes.Count(ch => ch.Phase == r.Phase && ch.Applied), r.Message)).ToList(),
            Changes = changes,
            RoundTrips = c.Node.RoundTrips,
            Duration = duration,
        };
    }
}
