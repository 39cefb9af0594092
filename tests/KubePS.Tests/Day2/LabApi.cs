using System.Text;
using KubePS.Core.Api;
using KubePS.Core.KubeConfigs;
using KubePS.Tests.LabControlPlane;

namespace KubePS.Tests.Day2;

/// <summary>A KubePS API client for a lab cluster's admin.conf (embedded CA, client certificate and key), for the tests' setup of Core calls.</summary>
static class LabApi
{
    public static KubeApiClient Client(string kubeconfigPath)
    {
        var config = KubeConfigFactory.Load(kubeconfigPath);
        var cluster = config.CurrentCluster!;
        var user = config.CurrentUser!;
        return new KubeApiClient(new KubeApiCredentials(new Uri(cluster.Server!), Encoding.UTF8.GetString(cluster.CertificateAuthorityData!),
            Encoding.UTF8.GetString(user.ClientCertificateData!), Encoding.UTF8.GetString(user.ClientKeyData!)));
    }

    public static KubeApiClient Client(LabCluster lab) => Client(lab.AdminConf);
}
