using System.Net;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Preflight;

/// <summary>Which kubeadm command runs a check.</summary>
[Flags]
public enum PreflightAppliesTo
{
    Init = 1,
    ControlPlaneJoin = 2,
    WorkerJoin = 4,
    ControlPlane = Init | ControlPlaneJoin,
    Join = ControlPlaneJoin | WorkerJoin,
    All = Init | ControlPlaneJoin | WorkerJoin,
}

/// <summary>What one check found: warnings and errors (kubeadm's checks return both lists).</summary>
public sealed record PreflightOutcome(IReadOnlyList<string> Warnings, IReadOnlyList<string> Errors)
{
    public static PreflightOutcome Pass { get; } = new([], []);
    public static PreflightOutcome Error(params string[] errors) => new([], errors);
    public static PreflightOutcome Warning(params string[] warnings) => new(warnings, []);
    public bool Passed => Warnings.Count == 0 && Errors.Count == 0;
}

/// <summary>Everything a check reads: the node's facts, the request, and what follows from them.</summary>
public sealed class PreflightContext
{
    internal PreflightContext(NodeFacts facts, KubePreflightRequest request)
    {
        Facts = facts;
        Request = request;
        Version = request.KubernetesVersion;
        Release = VersionCatalog.Get(request.KubernetesVersion);
        Mode = request.Role switch
        {
            PreflightRole.ControlPlane => PreflightAppliesTo.Init,
            PreflightRole.ControlPlaneJoin => PreflightAppliesTo.ControlPlaneJoin,
            _ => PreflightAppliesTo.WorkerJoin,
        };
        NodeName = request.NodeName ?? facts.NodeName.ToLowerInvariant();
        AdvertiseAddress = request.AdvertiseAddress is { } a ? IPAddress.Parse(a) : facts.DefaultAddress;
        (IPv4, IPv6) = IpFamilies();
    }

    public NodeFacts Facts { get; }
    public KubePreflightRequest Request { get; }
    /// <summary>The target version (kubeadm's own version is taken to be the target's minor).</summary>
    public KubeVersion Version { get; }
    public ReleaseInfo Release { get; }
    public PreflightAppliesTo Mode { get; }
    public string NodeName { get; }
    public IPAddress? AdvertiseAddress { get; }
    /// <summary>The IPv4 checks apply (kubeadm: an IPv4 advertise address, service or pod CIDR; for joins, an IPv4 discovery address).</summary>
    public bool IPv4 { get; }
    /// <summary>The IPv6 checks apply.</summary>
    public bool IPv6 { get; }

    /// <summary>True when the target minor is at least <paramref name="minor"/> (e.g. "1.30").</summary>
    public bool AtLeast(string minor) => Version.MinorVersion >= KubeVersion.Parse(minor);

    /// <summary>The host part of the discovery endpoint of a join, if given.</summary>
    public string? DiscoveryHost => Request.ApiServerEndpoint is { } ep && KubePreflightRequest.TrySplitHostPort(ep, out var h, out _) ? h : null;

    (bool, bool) IpFamilies()
    {
        bool v4 = false, v6 = false;
        void Add(IPAddress? ip)
        {
            if (ip is null) return;
            if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) v4 = true; else v6 = true;
        }
        if (Mode == PreflightAppliesTo.Init)
        {
            // 1.30+ also counts the service and pod CIDRs (dual stack); before, only the advertise address decided IPv6.
            Add(AdvertiseAddress);
            if (AtLeast("1.30"))
                foreach (var cidr in Cidrs()) Add(cidr.BaseAddress);
        }
        else if (DiscoveryHost is { } host && IPAddress.TryParse(host, out var ip))
        {
            Add(ip);
        }
        return (v4, v6);
    }

    internal IEnumerable<IPNetwork> Cidrs()
    {
        foreach (var s in new[] { Request.ServiceSubnet, Request.PodSubnet })
        {
            if (string.IsNullOrWhiteSpace(s)) continue;
            foreach (var c in s.Split(',')) yield return IPNetwork.Parse(c.Trim());
        }
    }
}

/// <summary>
/// One row of the preflight table: kubeadm's check name, which commands run it, its severity, the Kubernetes minors
/// it exists for, when it applies, what it checks, the remedy, and the preparation step that fixes it (if any).
/// </summary>
public sealed class PreflightCheck
{
    internal PreflightCheck(string namePattern, Func<PreflightContext, string> name, PreflightAppliesTo appliesTo, PreflightSeverity severity,
        string description, Func<PreflightContext, PreflightOutcome> evaluate, string? remedy = null, string? fixStep = null,
        string? since = null, string? until = null, Func<PreflightContext, bool>? when = null, string? source = null)
    {
        NamePattern = namePattern; _name = name; AppliesTo = appliesTo; Severity = severity; Description = description;
        _evaluate = evaluate; Remedy = remedy; FixStep = fixStep;
        Since = since is null ? null : KubeVersion.Parse(since);
        Until = until is null ? null : KubeVersion.Parse(until);
        _when = when; Source = source;
    }

    readonly Func<PreflightContext, string> _name;
    readonly Func<PreflightContext, PreflightOutcome> _evaluate;
    readonly Func<PreflightContext, bool>? _when;

    /// <summary>The name, with the parts that follow the request in angle brackets (Port-&lt;bindPort&gt;).</summary>
    public string NamePattern { get; }
    public PreflightAppliesTo AppliesTo { get; }
    /// <summary>What a failure is (errors may also carry warnings, e.g. SystemVerification).</summary>
    public PreflightSeverity Severity { get; }
    /// <summary>The first minor that runs this row, or null.</summary>
    public KubeVersion? Since { get; }
    /// <summary>The first minor that no longer runs this row, or null.</summary>
    public KubeVersion? Until { get; }
    public string Description { get; }
    public string? Remedy { get; }
    public string? FixStep { get; }
    /// <summary>Where the version range comes from (a kubernetes/kubernetes PR), where it differs by version.</summary>
    public string? Source { get; }

    public string NameFor(PreflightContext context) => _name(context);

    /// <summary>True when this row runs for the context's command, version and configuration.</summary>
    public bool AppliesIn(PreflightContext context) =>
        (AppliesTo & context.Mode) != 0
        && (Since is null || context.Version.MinorVersion >= Since)
        && (Until is null || context.Version.MinorVersion < Until)
        && (_when?.Invoke(context) ?? true);

    public PreflightOutcome Evaluate(PreflightContext context) => _evaluate(context);

    public override string ToString() => NamePattern;
}
