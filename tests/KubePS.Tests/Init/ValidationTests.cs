using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Pki;
using KubePS.Core.Workflows.Init;
using Xunit;
using static KubePS.Tests.Init.InitTestSupport;

namespace KubePS.Tests.Init;

/// <summary>Bad input fails before any node is touched, with a stable id, the value and what would be valid.</summary>
public sealed class ValidationTests : IDisposable
{
    readonly string _dir = TempDir();
    public void Dispose() => Delete(_dir);

    /// <summary>A node that counts every call made to it.</summary>
    sealed class UntouchableTransport : INodeTransport
    {
        public int Calls;
        public string HostName => "cp1";
        public Task<CommandResult> RunAsync(string script, TimeSpan? timeout, CancellationToken cancellationToken) { Calls++; throw new InvalidOperationException("the node was touched"); }
        public Task<IReadOnlyList<FileWriteResult>> WriteFilesAsync(IReadOnlyList<NodeFile> files, CancellationToken cancellationToken) { Calls++; throw new InvalidOperationException("the node was touched"); }
        public Task<IReadOnlyDictionary<string, byte[]?>> ReadFilesAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken) { Calls++; throw new InvalidOperationException("the node was touched"); }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    static async Task<(KubeException Error, int Calls)> InitOnUntouchableNode(string yaml)
    {
        var transport = new UntouchableTransport();
        var session = new KubeNodeSession("cp1", NodeTransportKind.OpenSsh, transport);
        var e = await Assert.ThrowsAnyAsync<KubeException>(() =>
            InitWorkflow.RunAsync(session, new InitRequest { Configuration = Config(yaml) }, new CapturingSink(), CancellationToken.None));
        return (e, transport.Calls);
    }

    static IEnumerable<string> Ids(KubeException e) => e is KubeAggregateException a ? a.Errors.Select(x => x.ErrorId) : [e.ErrorId];

    [Fact]
    public async Task A_configuration_for_an_unsupported_version_fails_before_the_session_is_touched()
    {
        var (e, calls) = await InitOnUntouchableNode(ExampleEcdsa.Replace("kubernetesVersion: v1.30.14", "kubernetesVersion: v1.17.4"));
        Assert.Contains("Version.Unsupported", Ids(e));
        Assert.Contains("1.17.4", e.Message);
        Assert.Contains("1.18", e.Message);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task Overlapping_pod_and_service_subnets_fail_before_the_session_is_touched()
    {
        var (e, calls) = await InitOnUntouchableNode(ExampleEcdsa.Replace("podSubnet: 10.244.0.0/16", "podSubnet: 10.96.0.0/16"));
        Assert.Contains("Config.OverlappingSubnets", Ids(e));
        Assert.Contains("10.96.0.0/16", e.Message);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task A_dry_run_without_a_node_name_says_where_to_give_one_and_writes_nothing()
    {
        var yaml = ExampleEcdsa.Replace("  name: cp1\n", "");
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => DryRunAsync(yaml, _dir));
        Assert.Equal("Init.NodeNameRequired", e.ErrorId);
        Assert.Contains("-NodeName", e.RecommendedAction);
        Assert.Empty(Snapshot(_dir));
        // Given as a parameter, it is enough.
        var cp = await DryRunAsync(yaml, _dir, tweak: r => r with { NodeName = "cp9" });
        Assert.Equal("cp9", cp.Node);
        Assert.True(File.Exists(Path.Combine(_dir, "cp9", "etc/kubernetes/manifests/etcd.yaml")));
    }

    [Fact]
    public async Task A_dry_run_without_an_advertise_address_says_where_to_give_one_and_writes_nothing()
    {
        var yaml = ExampleEcdsa.Replace("  advertiseAddress: 10.0.0.11\n", "");
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => DryRunAsync(yaml, _dir));
        Assert.Equal("Init.AdvertiseAddressRequired", e.ErrorId);
        Assert.Contains("-AdvertiseAddress", e.RecommendedAction);
        Assert.Empty(Snapshot(_dir));
    }

    [Fact]
    public async Task A_bad_advertise_address_parameter_fails_with_the_value()
    {
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => DryRunAsync(ExampleEcdsa, _dir, tweak: r => r with { AdvertiseAddress = "10.0.0.300" }));
        Assert.Equal("Init.InvalidAdvertiseAddress", e.ErrorId);
        Assert.Contains("10.0.0.300", e.Message);
        Assert.Empty(Snapshot(_dir));
    }

    [Fact]
    public async Task A_certificate_set_made_for_another_minor_is_refused()
    {
        var pki = KubePkiBuilder.Create(new PkiRequest { NodeName = "cp1", AdvertiseAddress = "10.0.0.11", KubernetesVersion = Core.Versioning.KubeVersion.Parse("1.28.15"), KeyAlgorithm = KeyAlgorithm.EcdsaP256 });
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => DryRunAsync(ExampleEcdsa, _dir, tweak: r => r with { Pki = pki }));
        Assert.Equal("Init.PkiVersionMismatch", e.ErrorId);
        Assert.Empty(Snapshot(_dir));
    }

    [Fact]
    public async Task A_given_certificate_set_is_used_where_the_node_has_none()
    {
        var config = Config(ExampleEcdsa);
        var pki = KubePkiBuilder.Create(PkiRequest.FromConfiguration(config));
        var cp = await DryRunAsync(ExampleEcdsa, _dir, tweak: r => r with { Pki = pki });
        Assert.Equal(pki.CA.PublicKeyPin, cp.CACertHash);
        Assert.Equal(pki.CA.CertificatePem, File.ReadAllText(Path.Combine(_dir, "cp1/etc/kubernetes/pki/ca.crt")));
    }
}
