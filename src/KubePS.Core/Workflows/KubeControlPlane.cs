using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Workflows;

/// <summary>
/// A control plane KubePS initialized (Initialize-KubeControlPlane): where it is, what it runs, how to trust it and how
/// to join it. Join-KubeNode and Connect-KubeCluster take it from the pipeline. Secrets stay inside: the bootstrap
/// token and certificate key print as redacted and the admin kubeconfig's key is not a public property.
/// </summary>
public sealed class KubeControlPlane
{
    internal KubeControlPlane() { }

    /// <summary>The control-plane endpoint URL (controlPlaneEndpoint, else the first control plane's address and port).</summary>
    public string Endpoint { get; internal init; } = "";

    /// <summary>The endpoint as host:port, the form join discovery takes (apiServerEndpoint).</summary>
    public string ApiServerEndpoint => Endpoint.StartsWith("https://", StringComparison.Ordinal) ? Endpoint["https://".Length..].TrimEnd('/') : Endpoint;

    public KubeVersion KubernetesVersion { get; internal init; } = VersionCatalog.NewestRelease;

    public string ClusterName { get; internal init; } = "";

    /// <summary>sha256:&lt;hex&gt; of the cluster CA's public key, the pin joins check (null when the CA is not on the node yet).</summary>
    public string? CACertHash { get; internal init; }

    /// <summary>The cluster CA certificate (PEM), for clients that trust the cluster.</summary>
    public string? CACertificatePem { get; internal init; }

    /// <summary>The first bootstrap token (the one kubeadm prints in its join command); redacted when shown.</summary>
    public KubeBootstrapToken? BootstrapToken => BootstrapTokens.FirstOrDefault();

    /// <summary>Every bootstrap token init created or found in place.</summary>
    public IReadOnlyList<KubeBootstrapToken> BootstrapTokens { get; internal init; } = [];

    /// <summary>The key the control-plane certificates were uploaded with (-UploadCerts), redacted when shown; else null.</summary>
    public CertificateKey? CertificateKey { get; internal init; }

    /// <summary>admin.conf (its client key is not a public property).</summary>
    public KubeConfig? AdminKubeConfig { get; internal init; }

    /// <summary>The node's name in the cluster (nodeRegistration.name).</summary>
    public string Node { get; internal init; } = "";

    /// <summary>The node's advertise address.</summary>
    public string AdvertiseAddress { get; internal init; } = "";

    /// <summary>The session the control plane was initialized through.</summary>
    public KubeNodeSession? Session { get; internal init; }

    /// <summary>The cluster configuration init ran with (for joins of more nodes).</summary>
    public KubeClusterConfiguration? Configuration { get; internal init; }

    /// <summary>True when it was a dry run (files and objects recorded under <see cref="DryRunPath"/>).</summary>
    public bool DryRun { get; internal init; }

    /// <summary>The dry-run folder (its node folder and cluster folder), or null.</summary>
    public string? DryRunPath { get; internal init; }

    /// <summary>What each phase did.</summary>
    public IReadOnlyList<PhaseOutcome> Phases { get; internal init; } = [];

    /// <summary>Every change made (or, with -WhatIf, described and not made).</summary>
    public IReadOnlyList<WorkflowChange> Changes { get; internal init; } = [];

    /// <summary>Node round trips per phase (probe, reads, writes, commands).</summary>
    public IReadOnlyDictionary<string, int> RoundTrips { get; internal init; } = new Dictionary<string, int>();

    /// <summary>Number of changes made in this run (0 on a re-run of an init that completed).</summary>
    public int ChangeCount => Changes.Count(c => c.Applied);

    /// <summary>A phase of the run, for tables.</summary>
    public sealed record PhaseOutcome(string Name, PhaseStatus Status, TimeSpan Duration, int Changes, string? Message);

    public override string ToString() => $"{ClusterName} {Endpoint} (Kubernetes {KubernetesVersion}, node {Node})";
}
