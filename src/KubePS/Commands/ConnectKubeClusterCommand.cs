using System.Management.Automation;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Workflows;

namespace KubePS.Commands;

/// <summary>Chooses the cluster the KubePS API cmdlets talk to when they are given no -KubeConfig.</summary>
/// <remarks>
/// <para>Connect-KubeCluster makes a kubeconfig the module's current cluster for this PowerShell process: a kubeconfig file, a kubeconfig object (Import-KubeConfig, New-KubeConfig), or the admin.conf of a control plane from Initialize-KubeControlPlane. It checks that the chosen context has a cluster, a server and usable credentials, and returns the connection; it does not contact the cluster.</para>
/// <para>API cmdlets find their cluster as kubectl does: their own -KubeConfig, then the current cluster of Connect-KubeCluster, then the files in $env:KUBECONFIG, then ~/.kube/config.</para>
/// </remarks>
/// <example>
/// <code>Connect-KubeCluster -KubeConfig ./admin.conf</code>
/// <para>Uses the current context of ./admin.conf for the API cmdlets.</para>
/// </example>
/// <example>
/// <code>$cp = Get-KubeNodeSession -HostName cp1 | Initialize-KubeControlPlane -Configuration $cfg
/// $cp | Connect-KubeCluster</code>
/// <para>Connects to the cluster just initialized, with its admin.conf.</para>
/// </example>
/// <example>
/// <code>Connect-KubeCluster -KubeConfig (Import-KubeConfig ~/.kube/config) -Context kubernetes-admin@staging</code>
/// <para>Uses another context of a kubeconfig object.</para>
/// </example>
[Cmdlet(VerbsCommunications.Connect, "KubeCluster", DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(KubeClusterConnection))]
public sealed class ConnectKubeClusterCommand : KubeCmdlet
{
    const string KubeConfigSet = "KubeConfig", ControlPlaneSet = "ControlPlane";

    /// <summary>
    /// <para>A kubeconfig: the path of a file, or a kubeconfig object from Import-KubeConfig or New-KubeConfig.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = KubeConfigSet)]
    [ValidateNotNull]
    public object? KubeConfig { get; set; }

    /// <summary>
    /// <para>A context of the kubeconfig to use instead of its current-context.</para>
    /// </summary>
    [Parameter(ParameterSetName = KubeConfigSet)]
    public string? Context { get; set; }

    /// <summary>
    /// <para>A control plane from Initialize-KubeControlPlane: its admin.conf is used.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ControlPlaneSet)]
    public KubeControlPlane? ControlPlane { get; set; }

    protected override void ProcessRecord()
    {
        var source = KubeConfig is PSObject pso ? pso.BaseObject : KubeConfig;
        string? path = source is string s ? CommandArgs.FullPath(this, s) : null;
        Run(sink =>
        {
            var connection = ControlPlane is not null ? KubeClusterConnection.FromControlPlane(ControlPlane)
                : path is not null ? KubeClusterConnection.FromFile(path, Context)
                : source switch
                {
                    KubePS.Core.KubeConfigs.KubeConfig k => KubeClusterConnection.FromConfig(k, "kubeconfig object", context: Context),
                    KubeConfigFile f => KubeClusterConnection.FromConfig(f.Config, f.FileName, context: Context),
                    _ => throw new KubePS.Core.KubeException("KubeConfig.InvalidArgument",
                        $"-KubeConfig takes a file path or a kubeconfig object, not a {source?.GetType().Name}.",
                        KubePS.Core.KubeErrorCategory.InvalidArgument, source?.ToString(), "Give a path such as ./admin.conf, or the output of Import-KubeConfig."),
                };
            sink.WriteVerbose($"current cluster: {connection.Server} (context {connection.Context}, {connection.AuthenticationKind}) from {connection.Source}");
            sink.WriteObject(KubeClusterConnection.Connect(connection));
        });
    }
}
