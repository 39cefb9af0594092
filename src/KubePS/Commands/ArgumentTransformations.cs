using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;

namespace KubePS.Commands;

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
