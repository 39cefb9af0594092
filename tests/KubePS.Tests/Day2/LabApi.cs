using System.Text;
using KubePS.Core.Api;
using KubePS.Core.KubeConfigs;
using KubePS.Tests.LabControlPlane;

namespace KubePS.Tests.Day2;

/// <summary>
/// One lab control plane (loopback) shared by the day-2 test classes that talk to an API server: they run one after the
/// other (one collection), so that a machine under load does not start four of them at once.
/// </summary>
[Xunit.CollectionDefinition(Name)]
public sealed class Day2ClusterCollection : Xunit.ICollectionFixture<LabCluster>
{
    public const string Name = "day2 cluster";
}

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
