using System.Net;
using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;
using KubePS.Core.Nodes;

namespace KubePS.Core.Workflows.Join;

/// <summary>How a join learns whom to trust.</summary>
public enum JoinDiscoveryKind
{
    /// <summary>From a control plane Initialize-KubeControlPlane returned: its endpoint, token and CA pin (token discovery).</summary>
    ControlPlane,
    /// <summary>Token discovery with an endpoint, a token and CA pins (kubeadm join host:port --token --discovery-token-ca-cert-hash).</summary>
    Token,
    /// <summary>A kubeconfig file or https URL (kubeadm join --discovery-file).</summary>
    File,
}

/// <summary>
/// What Join-KubeNode was asked to do: how to discover the cluster, the node's role (worker or control plane, with
/// the certificate key), its identity where a single node is joined, preflight, phases, timeouts, parallelism and
/// whether it is a dry run. <see cref="Validate"/> checks all of it before the cluster or any node is contacted.
/// </summary>
public sealed record JoinRequest
{
    /// <summary>A control plane from Initialize-KubeControlPlane (its endpoint, first bootstrap token, CA hash and certificate key).</summary>
    public KubeControlPlane? ControlPlane { get; init; }

    /// <summary>host:port of the API server for token discovery.</summary>
    public string? ApiServerEndpoint { get; init; }

    /// <summary>The bootstrap token: for token discovery and the TLS bootstrap; with a discovery file, for the TLS bootstrap only.</summary>
    public BootstrapTokenString? Token { get; init; }

    /// <summary>When the token expires, if known (a join command or token object): an expired token is refused before anything is contacted.</summary>
    public DateTimeOffset? TokenExpires { get; init; }

    /// <summary>CA public-key pins (sha256:...).</summary>
    public IReadOnlyList<string> CACertHashes { get; init; } = [];

    /// <summary>Trust the discovered CA without a pin (warns).</summary>
    public bool UnsafeSkipCAVerification { get; init; }

    /// <summary>A kubeconfig file or https URL for file discovery.</summary>
    public string? DiscoveryFile { get; init; }

    /// <summary>Join as a control-plane node (kubeadm join --control-plane).</summary>
    public bool AsControlPlane { get; init; }

    /// <summary>The key of the kubeadm-certs Secret; for a control plane without it, the node must hold the shared certificates already.</summary>
    public CertificateKey? CertificateKey { get; init; }

    /// <summary>The node name (nodeRegistration.name); only when one node is joined.</summary>
    public string? NodeName { get; init; }

    /// <summary>The control-plane node's advertise address (controlPlane.localAPIEndpoint.advertiseAddress); only when one node is joined.</summary>
    public string? AdvertiseAddress { get; init; }

    /// <summary>nodeRegistration of the JoinConfiguration (taints, kubeletExtraArgs, criSocket, ignorePreflightErrors), if any.</summary>
    public NodeRegistrationOptions? NodeRegistration { get; init; }

    /// <summary>Preflight checks whose errors are only warnings (names or 'all').</summary>
    public IReadOnlyList<string> IgnorePreflightErrors { get; init; } = [];

    /// <summary>Only these phases (by name or prefix).</summary>
    public IReadOnlyList<string> Phases { get; init; } = [];

    /// <summary>Phases to skip (by name or prefix).</summary>
    public IReadOnlyList<string> SkipPhases { get; init; } = [];

    /// <summary>A dry run: node files go under DryRunPath/&lt;node&gt;/ and nothing on a node changes.</summary>
    public string? DryRunPath { get; init; }

    /// <summary>Workers joined at the same time (control planes always join one at a time).</summary>
    public int ThrottleLimit { get; init; } = NodeFleet.DefaultThrottleLimit;

    /// <summary>How long discovery keeps asking (kubeadm's default 5m).</summary>
    public TimeSpan DiscoveryTimeout { get; init; } = TokenDiscoveryRequest.DefaultTimeout;

    /// <summary>Pause between discovery attempts (kubeadm's 5s).</summary>
    public TimeSpan DiscoveryRetryInterval { get; init; } = TokenDiscoveryRequest.DefaultRetryInterval;

    /// <summary>How long the kubelet's TLS bootstrap may take (kubeadm's timeouts.tlsBootstrap, default 5m).</summary>
    public TimeSpan TlsBootstrapTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long to wait for the Node to be Ready after the TLS bootstrap (and for a control plane's components).</summary>
    public TimeSpan NodeReadyTimeout { get; init; } = TimeSpan.FromMinutes(4);

    public JoinDiscoveryKind Discovery =>
        ControlPlane is not null ? JoinDiscoveryKind.ControlPlane : DiscoveryFile is not null ? JoinDiscoveryKind.File : JoinDiscoveryKind.Token;

    /// <summary>The certificate key to use: the request's, else (control-plane discovery) the control plane's upload key.</summary>
    public CertificateKey? EffectiveCertificateKey => AsControlPlane ? CertificateKey ?? ControlPlane?.CertificateKey : null;

    /// <summary>The token to use: the request's, else the control plane's first bootstrap token.</summary>
    public BootstrapTokenString? EffectiveToken => Token ?? ControlPlane?.BootstrapToken?.Token;

    /// <summary>The phase selection.</summary>
    public PhaseSelection Selection => new(Phases, SkipPhases);

    public bool IsDryRun => DryRunPath is not null;

    /// <summary>
    /// Join.OutputPathRequired when a dry run (-DryRun) has no folder to record into (-OutputPath not given or blank);
    /// null otherwise (an output path without a dry run is not used).
    /// </summary>
    public static KubeException? RefuseDryRunWithoutFolder(bool dryRun, string? outputPath) =>
        !dryRun || !string.IsNullOrWhiteSpace(outputPath) ? null
        : new KubeException("Join.OutputPathRequired",
            $"-DryRun records into a folder, but -OutputPath is {(outputPath is null ? "not given" : "blank")}: give -OutputPath.",
            KubeErrorCategory.InvalidArgument, null, "Add -OutputPath ./dryrun.");

    /// <summary>Checks everything that can be checked without the cluster or a node; several problems are reported at once.</summary>
    public void Validate(int nodeCount)
    {
        var errors = new List<KubeException>();
        void Check(Action a)
        {
            try { a(); }
            catch (KubeAggregateException e) { errors.AddRange(e.Errors); }
            catch (KubeException e) { errors.Add(e); }
        }
        int sources = (ControlPlane is not null ? 1 : 0) + (DiscoveryFile is not null ? 1 : 0) + (ApiServerEndpoint is not null ? 1 : 0);
        Check(() =>
        {
            if (sources != 1)
                throw new KubeException("Join.DiscoveryRequired",
                    sources == 0 ? "A join needs to know the cluster: give a control plane, an API server endpoint with a token and CA hash, or a discovery file."
                                 : "Give one way to discover the cluster: a control plane, an API server endpoint with a token, or a discovery file, not several.",
                    KubeErrorCategory.InvalidArgument, null,
                    "Pipe the result of Initialize-KubeControlPlane or Get-KubeJoinCommand, or give -ApiServerEndpoint -Token -CACertHash, or -DiscoveryFile.");
        });
        if (sources == 1 && ApiServerEndpoint is not null)
            Check(() =>
            {
                if (Token is null)
                    throw new KubeException("Join.TokenRequired", $"Token discovery from {ApiServerEndpoint} needs the bootstrap token (-Token).",
                        KubeErrorCategory.InvalidArgument, ApiServerEndpoint, "Give -Token (New-KubeBootstrapToken makes one).");
                TokenDiscovery.Validate(DiscoveryRequest(ApiServerEndpoint, Token), DateTimeOffset.UtcNow);
            });
        if (sources == 1 && ControlPlane is { } cp)
            Check(() =>
            {
                if (EffectiveToken is null)
                    throw new KubeException("Join.TokenRequired", $"The control plane {cp.Endpoint} carries no bootstrap token (its bootstrap-token phase did not run).",
                        KubeErrorCategory.InvalidArgument, cp.Node, "Give -Token, or pipe a join command from Get-KubeJoinCommand.");
                if (!cp.DryRun)
                    TokenDiscovery.Validate(DiscoveryRequest(cp.ApiServerEndpoint, EffectiveToken, cp.CACertHash is { } h ? [h] : []), DateTimeOffset.UtcNow);
            });
        if (sources == 1 && ControlPlane?.DryRun == true && !IsDryRun)
            errors.Add(new KubeException("Join.DryRunControlPlane",
                $"The control plane {ControlPlane.Endpoint} was a dry run: there is no cluster to join.",
                KubeErrorCategory.InvalidArgument, ControlPlane.Node, "Join with -DryRun -OutputPath as well, or join a control plane that was really initialized."));
        Check(() =>
        {
            if (nodeCount > 1 && !string.IsNullOrWhiteSpace(NodeName))
                throw new KubeException("Join.NodeNameForOneNode", $"-NodeName '{NodeName}' names one node, but {nodeCount} nodes are joined.",
                    KubeErrorCategory.InvalidArgument, NodeName, "Join the node alone with -NodeName, or leave it out so that each node uses its host name.");
            if (nodeCount > 1 && !string.IsNullOrWhiteSpace(AdvertiseAddress))
                throw new KubeException("Join.AdvertiseAddressForOneNode", $"-AdvertiseAddress {AdvertiseAddress} is one node's address, but {nodeCount} nodes are joined.",
                    KubeErrorCategory.InvalidArgument, AdvertiseAddress, "Join the node alone with -AdvertiseAddress, or leave it out so that each node uses its default-route address.");
        });
        Check(() =>
        {
            if (AdvertiseAddress is { } a && !string.IsNullOrWhiteSpace(a) && !IPAddress.TryParse(a, out _))
                throw new KubeException("Join.InvalidAdvertiseAddress", $"The advertise address '{a}' is not an IP address.",
                    KubeErrorCategory.InvalidArgument, a, "Give the node's IPv4 or IPv6 address, e.g. 10.0.0.12.");
            if (NodeName is { } n && !string.IsNullOrWhiteSpace(n) && !KubePS.Core.Pki.SanRules.IsDns1123Subdomain(n))
                throw new KubeException("Join.InvalidNodeName", $"The node name '{n}' is not a lower-case DNS name.",
                    KubeErrorCategory.InvalidArgument, n, "Give a lower-case RFC 1123 name such as w1: letters a-z, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters.");
        });
        Check(() =>
        {
            if (CertificateKey is not null && !AsControlPlane)
                throw new KubeException("Join.CertificateKeyWithoutControlPlane", "A certificate key is only used by a control-plane join.",
                    KubeErrorCategory.InvalidArgument, null, "Add -AsControlPlane, or leave -CertificateKey out.");
        });
        Check(() =>
        {
            if (ThrottleLimit < 1)
                throw new KubeException("Join.InvalidThrottleLimit", $"The throttle limit {ThrottleLimit} is not valid.", KubeErrorCategory.InvalidArgument,
                    ThrottleLimit, $"Give a number from 1 up (the default is {NodeFleet.DefaultThrottleLimit}).");
            foreach (var (what, t) in new[] { ("discovery", DiscoveryTimeout), ("TLS bootstrap", TlsBootstrapTimeout), ("node Ready", NodeReadyTimeout) })
                if (t <= TimeSpan.Zero)
                    throw new KubeException("Join.InvalidTimeout", $"The {what} timeout {t} is not positive.", KubeErrorCategory.InvalidArgument, t,
                        "Give a positive time span, e.g. 00:05:00.");
        });
        Check(() =>
        {
            if (DryRunPath is { } p && !Path.IsPathFullyQualified(p))
                throw new KubeException("Join.InvalidOutputPath", $"The dry-run output path '{p}' is not a full path.",
                    KubeErrorCategory.InvalidArgument, p, "Give a full path such as /tmp/kubeps-dryrun.");
        });
        Check(() => Selection.Validate(JoinWorkflow.PhaseNames));
        if (errors.Count == 1) throw errors[0];
        if (errors.Count > 1) throw new KubeAggregateException(errors);
    }

    /// <summary>The token discovery request for an endpoint.</summary>
    internal TokenDiscoveryRequest DiscoveryRequest(string endpoint, BootstrapTokenString token, IReadOnlyList<string>? pins = null) => new()
    {
        ApiServerEndpoint = endpoint,
        Token = token,
        CACertHashes = pins ?? CACertHashes,
        UnsafeSkipCAVerification = UnsafeSkipCAVerification,
        Timeout = DiscoveryTimeout,
        RetryInterval = DiscoveryRetryInterval,
        TokenExpires = TokenExpires ?? (ControlPlane?.BootstrapToken?.Token.Equals(token) == true ? ControlPlane.BootstrapToken.Expires : null),
    };

    public override string ToString() => $"join {(AsControlPlane ? "control plane" : "worker")} by {Discovery} discovery{(IsDryRun ? " (dry run)" : "")}";
}
