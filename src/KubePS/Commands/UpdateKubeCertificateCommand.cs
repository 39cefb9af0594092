using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;

namespace KubePS.Commands;

/// <summary>Renews a control-plane node's certificates and kubeconfig client certificates over its session, as kubeadm certs renew does, and restarts what uses them.</summary>
/// <remarks>
/// <para>Update-KubeCertificate re-signs each named certificate (or, without -Name, every one the node has: apiserver, apiserver-kubelet-client, front-proxy-client, the etcd certificates, and the client certificates of admin.conf, controller-manager.conf, scheduler.conf and super-admin.conf) with its CA on the node: same subject, same SANs and key usages, a new key and serial number, and a validity of one year from now (kubeadm's 8760h, or -ValidityDays). CAs are not renewed (an error for that name); a certificate whose CA has no key on the node (external CA) is an error for that name; kubelet.conf is left to the kubelet, which rotates its own client certificate.</para>
/// <para>Everything a node needs is read in one round trip and written back in one batch; each file is written beside the old one and renamed over it, so it is always either the old or the new one, keys with mode 0600. Then the static pods that read a renewed file (kube-apiserver, etcd, kube-controller-manager, kube-scheduler) are restarted the way kubeadm's documentation says: the manifest is moved out of /etc/kubernetes/manifests, the kubelet stops the pod, the manifest is moved back and the kubelet starts it; KubePS watches each component's port to know when. admin.conf is rewritten with its new certificate: copy it again wherever you keep a copy (~/.kube/config).</para>
/// <para>Nodes are done one after the other, so on a cluster with several control-plane nodes only one API server restarts at a time. Rows from Get-KubeCertificate -Session bind by property name (HostName, Name): the node's session is found in the session registry, or opened with your ssh configuration.</para>
/// </remarks>
/// <example>
/// <code>Get-KubeCertificate -Session $cps | Where-Object ResidualTime -lt (New-TimeSpan -Days 30) | Update-KubeCertificate</code>
/// <para>Renews the certificates that expire within 30 days on each control-plane node, and restarts the components that use them.</para>
/// </example>
/// <example>
/// <code>Get-KubeNodeSession -HostName cp1 | Update-KubeCertificate -WhatIf</code>
/// <para>Shows what renewing every certificate of cp1 would renew and restart, without changing anything.</para>
/// </example>
/// <example>
/// <code>Update-KubeCertificate -HostName cp1 -Name admin.conf -Confirm:$false</code>
/// <para>Renews only admin.conf's client certificate on cp1 (nothing needs a restart for it).</para>
/// </example>
[Cmdlet(VerbsData.Update, "KubeCertificate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = HostSet)]
[OutputType(typeof(KubeCertificateRenewal))]
public sealed class UpdateKubeCertificateCommand : KubeCmdlet
{
    const string HostSet = "HostName", SessionSet = "Session";

    /// <summary>
    /// <para>The node sessions of the control-plane nodes to renew on.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = SessionSet)]
    [ValidateNotNull]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary>
    /// <para>The control-plane node to renew on, by host name (binds the HostName of Get-KubeCertificate -Session rows and Get-KubeNode objects). Its session is taken from the session registry, or opened with the default options.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string? HostName { get; set; }

    /// <summary>
    /// <para>kubeadm's names of the certificates to renew: apiserver, apiserver-kubelet-client, front-proxy-client, etcd-server, etcd-peer, etcd-healthcheck-client, apiserver-etcd-client, admin.conf, controller-manager.conf, scheduler.conf, super-admin.conf. The default is all of them.</para>
    /// </summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    public string[]? Name { get; set; }

    /// <summary>
    /// <para>The certificates folder on the nodes (kubeadm's --cert-dir). The default is /etc/kubernetes/pki.</para>
    /// </summary>
    [Parameter]
    public string CertificatesDir { get; set; } = "/etc/kubernetes/pki";

    /// <summary>
    /// <para>The kubeconfig folder on the nodes (kubeadm's --kubeconfig-dir), which also holds manifests/. The default is /etc/kubernetes.</para>
    /// </summary>
    [Parameter]
    public string KubeConfigDir { get; set; } = "/etc/kubernetes";

    /// <summary>
    /// <para>The cluster's Kubernetes version, when the node's kube-apiserver manifest does not tell it.</para>
    /// </summary>
    [Parameter]
    public string? KubernetesVersion { get; set; }

    /// <summary>
    /// <para>Validity of the renewed certificates in days (ClusterConfiguration certificateValidityPeriod). The default is 365.</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 3650)]
    public int? ValidityDays { get; set; }

    /// <summary>
    /// <para>Do not restart the static pods; a warning names the ones to restart by hand.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter NoRestart { get; set; }

    readonly List<(string Host, KubeNodeSession? Session, List<string>? Names)> _targets = [];

    protected override void ProcessRecord()
    {
        if (ParameterSetName == SessionSet)
            foreach (var s in Session) Add(s.HostName, s, Name);
        else Add(HostName!, null, Name);
    }

    void Add(string host, KubeNodeSession? session, string[]? names)
    {
        var i = _targets.FindIndex(t => string.Equals(t.Host, host, StringComparison.OrdinalIgnoreCase));
        if (i < 0) { _targets.Add((host, session, names is null ? null : [.. names])); return; }
        var t = _targets[i];
        // No -Name means all; otherwise the names add up over the pipeline.
        var merged = t.Names is null || names is null ? null : t.Names.Union(names, StringComparer.OrdinalIgnoreCase).ToList();
        _targets[i] = (t.Host, t.Session ?? session, merged);
    }

    protected override void EndProcessing()
    {
        if (_targets.Count == 0) return;
        Run(async (sink, ct) =>
        {
            var version = KubernetesVersion is null ? null : KubeVersion.Parse(KubernetesVersion);
            if (version is not null) VersionCatalog.Get(version);
            var paths = new NodeCertificatePaths { CertificatesDir = CertificatesDir, KubeConfigDir = KubeConfigDir };
            var template = new CertificateRenewalOptions
            {
                Paths = paths, KubernetesVersion = version, Validity = CommandArgs.Days(ValidityDays), Restart = !NoRestart,
            };
            foreach (var t in _targets) (template with { Names = t.Names }).Validate();
            foreach (var t in _targets)
            {
                try
                {
                    var session = t.Session ?? await NodeSessionResolver.FindOrOpenAsync(t.Host, ct);
                    foreach (var r in await CertificateRenewal.RenewAsync(session, template with { Names = t.Names }, sink, ct)) sink.WriteObject(r);
                }
                catch (KubeException e)
                {
                    sink.WriteError(e.Target is null ? new KubeException(e.ErrorId, e.Message, e.Category, t.Host, e.RecommendedAction, e) : e);
                }
            }
        });
    }
}
