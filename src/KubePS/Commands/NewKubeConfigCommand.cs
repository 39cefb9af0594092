using System.Management.Automation;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Pki;

namespace KubePS.Commands;

/// <summary>Makes a kubeconfig file as kubeadm's kubeconfig phase does: admin, super-admin, kubelet, controller-manager, scheduler, bootstrap or any user.</summary>
/// <remarks>
/// <para>New-KubeConfig signs a client certificate with the Kubernetes CA (ClientAuth, kubeadm's validity) and builds the kubeconfig in client-go's exact shape: cluster (clusterName), user = the certificate's CN, context &lt;user&gt;@&lt;cluster&gt;, the CA certificate embedded. Roles: Admin (kubernetes-admin in system:masters, or kubeadm:cluster-admins from 1.29), SuperAdmin (kubernetes-super-admin in system:masters, 1.29+ only), Kubelet (system:node:&lt;NodeName&gt; in system:nodes), ControllerManager and Scheduler (the local endpoint), Bootstrap (a bootstrap token user, no certificate) and User (-UserName and -Group, as kubeadm kubeconfig user).</para>
/// <para>The server is https://&lt;ControlPlaneEndpoint&gt; (the bind port added when it has none), or https://&lt;AdvertiseAddress&gt;:&lt;BindPort&gt;; ControllerManager and Scheduler always use the local endpoint. -Server overrides both. With -Path the file is written with mode 0600 (its folder must exist; -WhatIf says where it would be written and makes nothing); the returned object never shows the key or token.</para>
/// </remarks>
/// <example>
/// <code>$pki = New-KubePki -NodeName cp1 -AdvertiseAddress 10.0.0.11 -KubernetesVersion 1.30.14; $pki | New-KubeConfig -Role Admin -AdvertiseAddress 10.0.0.11 -Path ./admin.conf</code>
/// <para>Writes admin.conf for a new cluster (server https://10.0.0.11:6443, user kubernetes-admin in kubeadm:cluster-admins).</para>
/// </example>
/// <example>
/// <code>Import-KubePki /etc/kubernetes/pki | New-KubeConfig -Role User -UserName jane -Group developers -ControlPlaneEndpoint api.example.com -ValidityDays 30 -Path ./jane.conf</code>
/// <para>Makes a 30-day kubeconfig for user jane in group developers.</para>
/// </example>
/// <example>
/// <code>New-KubeConfig -Role Bootstrap -CA (Import-KubePki ./pki).CA -Token abcdef.0123456789abcdef -Server https://10.0.0.11:6443 -Path ./bootstrap-kubelet.conf</code>
/// <para>Writes a TLS bootstrap kubeconfig for a joining kubelet.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "KubeConfig", SupportsShouldProcess = true, DefaultParameterSetName = "Pki")]
[OutputType(typeof(KubeConfigFile))]
public sealed class NewKubeConfigCommand : KubeCmdlet
{
    /// <summary>
    /// <para>Which kubeconfig: Admin, SuperAdmin, Kubelet, ControllerManager, Scheduler, Bootstrap or User.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateSet("Admin", "SuperAdmin", "Kubelet", "ControllerManager", "Scheduler", "Bootstrap", "User")]
    public string Role { get; set; } = "";

    /// <summary>
    /// <para>The certificate set whose Kubernetes CA (ca) signs the client certificate. Its Kubernetes version is the default for -KubernetesVersion.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Pki")]
    public KubePki Pki { get; set; } = null!;

    /// <summary>
    /// <para>The Kubernetes CA itself (with its key, except for -Role Bootstrap).</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = "CA")]
    public KubeCertificate CA { get; set; } = null!;

    /// <summary>
    /// <para>The node name, for -Role Kubelet (user system:node:&lt;NodeName&gt;).</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? NodeName { get; set; }

    /// <summary>
    /// <para>The node's advertise address (an IP address): the local endpoint, and the server when there is no control-plane endpoint.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? AdvertiseAddress { get; set; }

    /// <summary>
    /// <para>The API server's port on the node (localAPIEndpoint.bindPort). Default 6443.</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int BindPort { get; set; } = 6443;

    /// <summary>
    /// <para>The control-plane endpoint (host or host:port), used as the server of every role but ControllerManager and Scheduler.</para>
    /// </summary>
    [Parameter]
    public string? ControlPlaneEndpoint { get; set; }

    /// <summary>
    /// <para>An explicit server URL (e.g. https://10.0.0.11:6443), overriding the endpoint rules.</para>
    /// </summary>
    [Parameter]
    public string? Server { get; set; }

    /// <summary>
    /// <para>The cluster name in the kubeconfig (clusterName). Default kubernetes.</para>
    /// </summary>
    [Parameter]
    public string ClusterName { get; set; } = "kubernetes";

    /// <summary>
    /// <para>The Kubernetes version (decides the admin group and whether SuperAdmin exists). Default: the set's version, else the newest release.</para>
    /// </summary>
    [Parameter]
    public string? KubernetesVersion { get; set; }

    /// <summary>
    /// <para>The client key algorithm: RSA-2048 (default), RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384.</para>
    /// </summary>
    [Parameter]
    [ValidateSet("RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384")]
    public string KeyAlgorithm { get; set; } = "RSA-2048";

    /// <summary>
    /// <para>Days of validity of the client certificate. Default: kubeadm's 365 days.</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 36500)]
    public int? ValidityDays { get; set; }

    /// <summary>
    /// <para>The bootstrap token (id.secret) for -Role Bootstrap.</para>
    /// </summary>
    [Parameter]
    public string? Token { get; set; }

    /// <summary>
    /// <para>The client name (certificate CN) for -Role User.</para>
    /// </summary>
    [Parameter]
    public string? UserName { get; set; }

    /// <summary>
    /// <para>The groups (certificate O values) for -Role User.</para>
    /// </summary>
    [Parameter]
    public string[] Group { get; set; } = [];

    /// <summary>
    /// <para>Writes the kubeconfig to this file (or, for a folder, to the role's file name in it) with mode 0600.</para>
    /// </summary>
    [Parameter]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        var target = Path is null ? null : CommandArgs.FullPath(this, Path);
        Run(async (sink, ct) =>
        {
            var role = Enum.Parse<KubeConfigRole>(Role, ignoreCase: true);
            // Where the file goes is settled (its folder exists) before a key is made; -WhatIf stops here.
            var destination = target is null ? null : KubeConfigFile.Destination(target, KubeConfigFactory.FileNameFor(role, UserName));
            if (destination is not null && !await sink.ShouldChangeAsync(destination, $"Write the {Role} kubeconfig (mode 0600)", ct).ConfigureAwait(false))
                return;
            var ca = ParameterSetName == "CA" ? CA : Pki.CA;
            var version = KubernetesVersion is not null ? CommandArgs.Version(KubernetesVersion)
                : ParameterSetName == "Pki" && Pki.KubernetesVersion is { } v ? v : CommandArgs.Version(null);
            var file = KubeConfigFactory.Create(new KubeConfigRequest
            {
                Role = role,
                ClusterName = ClusterName,
                NodeName = NodeName,
                AdvertiseAddress = AdvertiseAddress,
                BindPort = BindPort,
                ControlPlaneEndpoint = ControlPlaneEndpoint,
                Server = Server,
                KubernetesVersion = version,
                KeyAlgorithm = KeyAlgorithms.Parse(KeyAlgorithm),
                Validity = CommandArgs.Days(ValidityDays),
                Token = Token,
                UserName = UserName,
                Groups = Group,
            }, ca);
            if (destination is not null)
            {
                var written = file.Save(destination);
                sink.WriteVerbose($"wrote {written} (0600)");
            }
            sink.WriteObject(file);
        });
    }
}
