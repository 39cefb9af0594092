using KubePS.Core;
using KubePS.Core.Etcd;
using Xunit;

namespace KubePS.Tests.Etcd;

/// <summary>One real etcd with certificates made by openssl, shared by the tests of this class.</summary>
public sealed class EtcdFixture : IDisposable
{
    public EtcdFixture()
    {
        Dir = Tool.TempDir("etcd");
        Ca = new OpenSslCa(Path.Combine(Dir, "pki"), "etcd-ca");
        // etcd's JSON gateway dials etcd's gRPC with the server's own certificate: it needs clientAuth too.
        Server = Ca.Issue("server", "node1", "serverAuth,clientAuth", "DNS:localhost,IP:127.0.0.1");
        Peer = Ca.Issue("peer", "node1", "serverAuth,clientAuth", "DNS:localhost,IP:127.0.0.1");
        Client = Ca.Issue("healthcheck-client", "kube-etcd-healthcheck-client", "clientAuth");
        Etcd = new EtcdServer(Dir, "node1", Server.Cert, Server.Key, Peer.Cert, Peer.Key, Ca.CertPath);
        Etcd.WaitHealthy(Ca.CertPath, Client.Cert, Client.Key, TimeSpan.FromSeconds(30));
    }

    public string Dir { get; }
    public OpenSslCa Ca { get; }
    public (string Cert, string Key) Server { get; }
    public (string Cert, string Key) Peer { get; }
    public (string Cert, string Key) Client { get; }
    public EtcdServer Etcd { get; }

    public EtcdClient NewClient(string? caPath = null, (string Cert, string Key)? client = null, TimeSpan? retryBudget = null)
    {
        var c = client ?? Client;
        return EtcdClient.FromPem([new Uri(Etcd.ClientUrl)], File.ReadAllText(caPath ?? Ca.CertPath), File.ReadAllText(c.Cert), File.ReadAllText(c.Key),
            TimeSpan.FromSeconds(5), retryBudget ?? TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        Etcd.Dispose();
        try { Directory.Delete(Dir, true); } catch { }
    }
}

public sealed class EtcdClientTests(EtcdFixture fx) : IClassFixture<EtcdFixture>
{
    [Fact]
    public async Task Member_list_through_the_gateway_shows_what_etcdctl_shows()
    {
        using var client = fx.NewClient();
        var members = await client.ListMembersAsync(CancellationToken.None);
        var member = Assert.Single(members, m => m.IsStarted);
        Assert.Equal("node1", member.Name);
        Assert.Contains($"https://127.0.0.1:{fx.Etcd.PeerPort}", member.PeerUrls);
        var etcdctl = fx.Etcd.Etcdctl(fx.Ca.CertPath, fx.Client.Cert, fx.Client.Key, "member", "list", "-w", "simple").OrThrow("etcdctl member list");
        Assert.Contains(member.IdHex.TrimStart('0'), etcdctl.Output);
    }

    [Fact]
    public async Task A_learner_added_through_the_gateway_is_seen_by_etcdctl_and_can_be_removed()
    {
        using var client = fx.NewClient();
        var peer = $"https://127.0.0.2:{Tool.FreePort()}";
        var added = await client.AddMemberAsync(peer, asLearner: true, CancellationToken.None);
        try
        {
            Assert.True(added.IsLearner);
            Assert.Equal(new[] { peer }, added.PeerUrls);
            var listed = fx.Etcd.Etcdctl(fx.Ca.CertPath, fx.Client.Cert, fx.Client.Key, "member", "list").OrThrow("etcdctl");
            Assert.Contains(peer, listed.Output);
            Assert.Contains("true", listed.Output.Split('\n').Single(l => l.Contains(peer)));   // isLearner column
        }
        finally
        {
            await client.RemoveMemberAsync(added.Id, CancellationToken.None);
        }
        var after = fx.Etcd.Etcdctl(fx.Ca.CertPath, fx.Client.Cert, fx.Client.Key, "member", "list").OrThrow("etcdctl");
        Assert.DoesNotContain(peer, after.Output);
    }

    [Fact]
    public async Task Status_and_health_of_the_endpoint()
    {
        using var client = fx.NewClient();
        var endpoint = new Uri(fx.Etcd.ClientUrl);
        var status = await client.StatusAsync(endpoint, CancellationToken.None);
        Assert.StartsWith("3.", status.Version);
        Assert.Equal(status.MemberId, status.Leader);          // a single member leads itself
        Assert.False(status.IsLearner);
        Assert.True(await client.IsHealthyAsync(endpoint, CancellationToken.None));
    }

    [Fact]
    public async Task Removing_a_member_that_does_not_exist_is_Etcd_MemberNotFound()
    {
        using var client = fx.NewClient();
        var e = await Assert.ThrowsAsync<KubeException>(() => client.RemoveMemberAsync(0x1234, CancellationToken.None));
        Assert.Equal("Etcd.MemberNotFound", e.ErrorId);
    }

    [Fact]
    public async Task A_client_certificate_from_another_CA_is_refused_and_reported_as_unreachable()
    {
        var other = new OpenSslCa(Path.Combine(fx.Dir, "other"), "other-ca");
        var foreign = other.Issue("foreign", "kube-etcd-healthcheck-client", "clientAuth");
        using var client = fx.NewClient(client: foreign, retryBudget: TimeSpan.FromSeconds(1));
        var e = await Assert.ThrowsAsync<KubeException>(() => client.ListMembersAsync(CancellationToken.None));
        Assert.Equal("Etcd.Unreachable", e.ErrorId);
    }

    [Fact]
    public async Task A_server_whose_certificate_does_not_chain_to_the_trusted_CA_is_not_trusted()
    {
        var other = new OpenSslCa(Path.Combine(fx.Dir, "other2"), "not-etcd-ca");
        using var client = fx.NewClient(caPath: other.CertPath, retryBudget: TimeSpan.FromSeconds(1));
        var e = await Assert.ThrowsAsync<KubeException>(() => client.ListMembersAsync(CancellationToken.None));
        Assert.Equal("Etcd.Unreachable", e.ErrorId);
        Assert.False(await client.IsHealthyAsync(new Uri(fx.Etcd.ClientUrl), CancellationToken.None));
    }
}
