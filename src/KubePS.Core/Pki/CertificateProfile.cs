using KubePS.Core.Versioning;

namespace KubePS.Core.Pki;

/// <summary>An extended key usage kubeadm puts on its certificates.</summary>
public enum CertificateUsage
{
    ServerAuth,
    ClientAuth,
}

/// <summary>Which group (Subject O) a profile's certificate is in; the value depends on the Kubernetes version.</summary>
public enum OrganizationRule
{
    /// <summary>No O.</summary>
    None,
    /// <summary><see cref="ReleaseInfo.AdminGroup"/>: system:masters, or kubeadm:cluster-admins from 1.29.</summary>
    AdminGroup,
    /// <summary><see cref="ReleaseInfo.EtcdClientGroup"/>: system:masters up to 1.28, none after.</summary>
    EtcdClientGroup,
}

/// <summary>How a profile's SubjectAltNames are computed (kubeadm-facts §1.2).</summary>
public enum SanRule
{
    None,
    /// <summary>A CA: its CN as the only DNS SAN, where <see cref="ReleaseInfo.CAHasDnsSan"/>.</summary>
    CommonName,
    ApiServer,
    EtcdServer,
    EtcdPeer,
}

/// <summary>The certificates of a control-plane node, by kubeadm's names.</summary>
public enum KubeCertificateKind
{
    Ca,
    ApiServer,
    ApiServerKubeletClient,
    FrontProxyCa,
    FrontProxyClient,
    EtcdCa,
    EtcdServer,
    EtcdPeer,
    EtcdHealthcheckClient,
    ApiServerEtcdClient,
}

/// <summary>
/// One row of kubeadm's certificate table: name, file base name (relative to the certificates directory), signer,
/// subject, usages and SAN rule. A CA has no <see cref="CAName"/>. A null <see cref="CommonName"/> means the node name.
/// </summary>
public sealed record CertificateProfile(
    KubeCertificateKind Kind,
    string Name,
    string BaseName,
    string? CAName,
    string? CommonName,
    OrganizationRule Organization,
    IReadOnlyList<CertificateUsage> Usages,
    SanRule Sans,
    bool Etcd)
{
    public bool IsCA => CAName is null;

    /// <summary>The Subject O values for a release (none, or one group).</summary>
    public IReadOnlyList<string> Organizations(ReleaseInfo release)
    {
        var group = Organization switch
        {
            OrganizationRule.AdminGroup => release.AdminGroup,
            OrganizationRule.EtcdClientGroup => release.EtcdClientGroup,
            _ => null,
        };
        return string.IsNullOrEmpty(group) ? [] : [group];
    }

    public string CertificateFile => BaseName + ".crt";
    public string KeyFile => BaseName + ".key";

    public override string ToString() => Name;
}

/// <summary>kubeadm's certificate table, in kubeadm's order (each CA before its leaves).</summary>
public static class CertificateProfiles
{
    static readonly CertificateUsage[] Server = [CertificateUsage.ServerAuth];
    static readonly CertificateUsage[] Client = [CertificateUsage.ClientAuth];
    static readonly CertificateUsage[] ServerClient = [CertificateUsage.ServerAuth, CertificateUsage.ClientAuth];

    public static readonly CertificateProfile Ca = new(KubeCertificateKind.Ca, "ca", "ca", null, "kubernetes", OrganizationRule.None, [], SanRule.CommonName, false);
    public static readonly CertificateProfile ApiServer = new(KubeCertificateKind.ApiServer, "apiserver", "apiserver", "ca", "kube-apiserver", OrganizationRule.None, Server, SanRule.ApiServer, false);
    public static readonly CertificateProfile ApiServerKubeletClient = new(KubeCertificateKind.ApiServerKubeletClient, "apiserver-kubelet-client", "apiserver-kubelet-client", "ca", "kube-apiserver-kubelet-client", OrganizationRule.AdminGroup, Client, SanRule.None, false);
    public static readonly CertificateProfile FrontProxyCa = new(KubeCertificateKind.FrontProxyCa, "front-proxy-ca", "front-proxy-ca", null, "front-proxy-ca", OrganizationRule.None, [], SanRule.CommonName, false);
    public static readonly CertificateProfile FrontProxyClient = new(KubeCertificateKind.FrontProxyClient, "front-proxy-client", "front-proxy-client", "front-proxy-ca", "front-proxy-client", OrganizationRule.None, Client, SanRule.None, false);
    public static readonly CertificateProfile EtcdCa = new(KubeCertificateKind.EtcdCa, "etcd-ca", "etcd/ca", null, "etcd-ca", OrganizationRule.None, [], SanRule.CommonName, true);
    public static readonly CertificateProfile EtcdServer = new(KubeCertificateKind.EtcdServer, "etcd-server", "etcd/server", "etcd-ca", null, OrganizationRule.None, ServerClient, SanRule.EtcdServer, true);
    public static readonly CertificateProfile EtcdPeer = new(KubeCertificateKind.EtcdPeer, "etcd-peer", "etcd/peer", "etcd-ca", null, OrganizationRule.None, ServerClient, SanRule.EtcdPeer, true);
    public static readonly CertificateProfile EtcdHealthcheckClient = new(KubeCertificateKind.EtcdHealthcheckClient, "etcd-healthcheck-client", "etcd/healthcheck-client", "etcd-ca", "kube-etcd-healthcheck-client", OrganizationRule.EtcdClientGroup, Client, SanRule.None, true);
    public static readonly CertificateProfile ApiServerEtcdClient = new(KubeCertificateKind.ApiServerEtcdClient, "apiserver-etcd-client", "apiserver-etcd-client", "etcd-ca", "kube-apiserver-etcd-client", OrganizationRule.EtcdClientGroup, Client, SanRule.None, true);

    /// <summary>All ten, in kubeadm's order.</summary>
    public static readonly IReadOnlyList<CertificateProfile> All =
    [
        Ca, ApiServer, ApiServerKubeletClient, FrontProxyCa, FrontProxyClient,
        EtcdCa, EtcdServer, EtcdPeer, EtcdHealthcheckClient, ApiServerEtcdClient,
    ];

    /// <summary>The profiles for a node: all, or without the etcd ones for external etcd.</summary>
    public static IReadOnlyList<CertificateProfile> For(bool externalEtcd) => externalEtcd ? All.Where(p => !p.Etcd).ToList() : All;

    public static CertificateProfile Get(KubeCertificateKind kind) => All.First(p => p.Kind == kind);

    /// <summary>By kubeadm name (<c>apiserver</c>, <c>etcd-ca</c>) or kind name (<c>ApiServer</c>), case-insensitive.</summary>
    public static CertificateProfile Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(p.Kind.ToString(), name, StringComparison.OrdinalIgnoreCase))
        ?? throw new KubeException("Pki.UnknownProfile", $"'{name}' is not a kubeadm certificate. Known: {string.Join(", ", All.Select(p => p.Name))}.",
            KubeErrorCategory.InvalidArgument, name, "Use one of the listed names.");

    /// <summary>The leaves signed by a CA profile.</summary>
    public static IEnumerable<CertificateProfile> SignedBy(CertificateProfile ca, bool externalEtcd) =>
        For(externalEtcd).Where(p => p.CAName == ca.Name);
}
