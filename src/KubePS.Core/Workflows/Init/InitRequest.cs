using System.Net;
using KubePS.Core.Configuration;
using KubePS.Core.Pki;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// What Initialize-KubeControlPlane was asked to do: the configuration, an optional certificate set, upload-certs,
/// which phases, the node's identity where the configuration has none, and whether it is a dry run.
/// <see cref="Validate"/> checks all of it before any node is touched.
/// </summary>
public sealed record InitRequest
{
    /// <summary>The cluster configuration (kubeadm's defaults for the newest release when built empty).</summary>
    public required KubeClusterConfiguration Configuration { get; init; }

    /// <summary>Certificates to use where the node has none of its own (New-KubePki, Import-KubePki).</summary>
    public KubePki? Pki { get; init; }

    /// <summary>Upload the control-plane certificates (kubeadm-certs Secret) for control-plane joins.</summary>
    public bool UploadCerts { get; init; }

    /// <summary>nodeRegistration.name when the configuration has none.</summary>
    public string? NodeName { get; init; }

    /// <summary>localAPIEndpoint.advertiseAddress when the configuration has none.</summary>
    public string? AdvertiseAddress { get; init; }

    /// <summary>Only these phases (kubeadm init phase ...), by name or prefix.</summary>
    public IReadOnlyList<string> Phases { get; init; } = [];

    /// <summary>Phases to skip (--skip-phases), besides the configuration's skipPhases.</summary>
    public IReadOnlyList<string> SkipPhases { get; init; } = [];

    /// <summary>Preflight checks whose errors are only warnings, besides nodeRegistration.ignorePreflightErrors.</summary>
    public IReadOnlyList<string> IgnorePreflightErrors { get; init; } = [];

    /// <summary>A dry run: nothing connects; files go under DryRunPath/&lt;node&gt;/, objects under DryRunPath/cluster/.</summary>
    public string? DryRunPath { get; init; }

    /// <summary>The phase selection: <see cref="Phases"/>, and <see cref="SkipPhases"/> with the configuration's skipPhases.</summary>
    public PhaseSelection Selection => new(Phases, SkipPhases.Concat(Configuration.Init?.SkipPhases ?? []));

    /// <summary>The node name to use before the node is asked: the request's, else the configuration's.</summary>
    public string? GivenNodeName => string.IsNullOrWhiteSpace(NodeName) ? Configuration.NodeName : NodeName.Trim();

    /// <summary>The advertise address to use before the node is asked: the request's, else the configuration's.</summary>
    public string? GivenAdvertiseAddress => string.IsNullOrWhiteSpace(AdvertiseAddress) ? Configuration.AdvertiseAddress?.ToString() : AdvertiseAddress.Trim();

    /// <summary>
    /// Checks everything that can be checked without a node: the configuration (versions, subnets, names, tokens ...),
    /// the phase names, the node name and address when given, the PKI's version, the dry-run folder.
    /// </summary>
    public void Validate()
    {
        var errors = new List<KubeException>();
        void Check(Action a)
        {
            try { a(); }
            catch (KubeAggregateException e) { errors.AddRange(e.Errors); }
            catch (KubeException e) { errors.Add(e); }
        }
        Check(() => Configuration.Validate());
        Check(() => Selection.Validate(InitWorkflow.PhaseNames));
        Check(() =>
        {
            if (GivenAdvertiseAddress is { } a && !IPAddress.TryParse(a, out _))
                throw new KubeException("Init.InvalidAdvertiseAddress", $"The advertise address '{a}' is not an IP address.",
                    KubeErrorCategory.InvalidArgument, a, "Give the node's IPv4 or IPv6 address, e.g. 10.0.0.11.");
        });
        Check(() =>
        {
            if (NodeName is { } n && !string.IsNullOrWhiteSpace(n) && !KubePS.Core.Pki.SanRules.IsDns1123Subdomain(n))
                throw new KubeException("Init.InvalidNodeName", $"The node name '{n}' is not a lower-case DNS name.",
                    KubeErrorCategory.InvalidArgument, n, "Give a lower-case RFC 1123 name such as cp1: letters a-z, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters.");
        });
        Check(() =>
        {
            if (Pki?.KubernetesVersion is { } pv && errors.Count == 0 && !pv.SameMinor(Configuration.KubernetesVersion))
                throw new KubeException("Init.PkiVersionMismatch",
                    $"The certificate set was made for Kubernetes {pv}, but the configuration deploys {Configuration.KubernetesVersion}; certificate profiles differ between minors.",
                    KubeErrorCategory.InvalidArgument, pv.ToString(), "Make the set for the configuration (New-KubePki with the same configuration), or leave -Pki out.");
        });
        Check(() =>
        {
            if (DryRunPath is { } p && !Path.IsPathFullyQualified(p))
                throw new KubeException("Init.InvalidOutputPath", $"The dry-run output path '{p}' is not a full path.",
                    KubeErrorCategory.InvalidArgument, p, "Give a full path such as /tmp/kubeps-dryrun.");
        });
        if (errors.Count == 1) throw errors[0];
        if (errors.Count > 1) throw new KubeAggregateException(errors);
    }

    public override string ToString() => $"init {Configuration}{(DryRunPath is null ? "" : " (dry run)")}";
}
