using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Api;
using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;
using KubePS.Core.KubeConfigs;

namespace KubePS.Commands;

/// <summary>
/// The cluster an API cmdlet talks to. Interim, until Connect-KubeCluster's resolution lands: -KubeConfig, then the
/// first existing file of $env:KUBECONFIG, then ~/.kube/config. Call on the pipeline thread.
/// </summary>
internal static class ClusterArgs
{
    public static KubeApiCredentials Credentials(PSCmdlet cmdlet, string? kubeConfig)
    {
        string path;
        if (!string.IsNullOrEmpty(kubeConfig)) path = CommandArgs.FullPath(cmdlet, kubeConfig);
        else
        {
            var variable = Environment.GetEnvironmentVariable("KUBECONFIG");
            var fromVariable = variable?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(File.Exists);
            var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
            path = fromVariable ?? (File.Exists(home) ? home
                : throw new KubeException("KubeConfig.NotFound",
                    "No cluster to talk to: no -KubeConfig was given, $KUBECONFIG names no existing file and ~/.kube/config does not exist.",
                    KubeErrorCategory.ObjectNotFound, home, "Pass -KubeConfig with the cluster's admin.conf."));
        }
        return KubeConfigCredentials.From(KubeConfigFactory.Load(path), path, Path.GetDirectoryName(path));
    }
}

/// <summary>Takes a CertificateKey object as it is, or parses 64 hex characters; the message never shows the value.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class CertificateKeyTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject p ? p.BaseObject : inputData;
        return value switch
        {
            null => null,
            CertificateKey k => k,
            string s => Parse(s),
            _ => throw new ArgumentTransformationMetadataException($"A certificate key is 64 hex characters or a CertificateKey object, not a {value.GetType().Name}."),
        };
    }

    static CertificateKey Parse(string s)
    {
        try { return CertificateKey.Parse(s, "CertificateKey"); }
        catch (KubeException e) { throw new ArgumentTransformationMetadataException(e.Message, e); }
    }
}

/// <summary>Takes a BootstrapTokenString, a token object, or parses id.secret; the message never shows the secret.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class BootstrapTokenTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject p ? p.BaseObject : inputData;
        return value switch
        {
            null => null,
            BootstrapTokenString t => t,
            KubeBootstrapToken k => k.Token,
            string s => Parse(s),
            _ => throw new ArgumentTransformationMetadataException($"A bootstrap token is id.secret ([a-z0-9]{{6}}.[a-z0-9]{{16}}) or a token object, not a {value.GetType().Name}."),
        };
    }

    static BootstrapTokenString Parse(string s)
    {
        try { return BootstrapTokenString.Parse(s, "Token"); }
        catch (KubeException e) { throw new ArgumentTransformationMetadataException(e.Message, e); }
    }
}
