using System.Text.RegularExpressions;
using KubePS.Core.Etcd;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Reset;

/// <summary>
/// remove-etcd-member (a control-plane node with local etcd): removes this node's member, found by its peer URL, from
/// the etcd cluster through the other members; the only member of a cluster is not removed (its data goes with the
/// reset), and a member already gone is fine, as in kubeadm. When the removal fails the etcd data is kept, as kubeadm
/// keeps it, so that the member can still be removed by hand.
/// </summary>
sealed class RemoveEtcdMemberPhase : Phase<ResetContext>
{
    public override string Name => "remove-etcd-member";
    public override string Summary => "Remove this node's member from the etcd cluster";
    public override bool ShouldRun(ResetContext c) => c.LocalEtcd;

    internal static string? Flag(string manifest, string flag) =>
        Regex.Match(manifest, @"(?m)^\s*-\s*""?--" + Regex.Escape(flag) + @"=([^\s""]+)") is { Success: true } m ? m.Groups[1].Value : null;

    public override async Task RunAsync(ResetContext c, IOperationSink sink, CancellationToken ct)
    {
        c.EtcdMemberKept = true;
        var manifest = c.Manifests["etcd"];
        var clientUrl = (Flag(manifest, "advertise-client-urls") ?? throw Missing(c, "--advertise-client-urls")).Split(',')[0];
        var peerUrl = (Flag(manifest, "initial-advertise-peer-urls") ?? Flag(manifest, "listen-peer-urls") ?? throw Missing(c, "--initial-advertise-peer-urls")).Split(',')[0];
        var pem = c.EtcdClientPem ?? throw new KubeException("Reset.EtcdClientMissing",
            $"{c.HostName}: no etcd client certificate (etcd/healthcheck-client or apiserver-etcd-client) under {c.Request.Paths.CertificatesDir}, so the member cannot be removed.",
            KubeErrorCategory.ObjectNotFound, c.HostName, $"Remove the member by hand: etcdctl member remove <id of {peerUrl}>.");
        using var local = EtcdClient.FromPem([new Uri(clientUrl)], pem.Ca, pem.Cert, pem.Key, retryBudget: TimeSpan.FromSeconds(20));
        var members = await local.ListMembersAsync(ct).ConfigureAwait(false);
        var self = members.FirstOrDefault(m => m.PeerUrls.Contains(peerUrl, StringComparer.OrdinalIgnoreCase));
        if (self is null)
        {
            sink.WriteVerbose($"{c.HostName}: etcd has no member with peer URL {peerUrl} any more");
            c.EtcdMemberKept = false;
            return;
        }
        if (members.Count == 1)
        {
            sink.WriteVerbose($"{c.HostName}: etcd member {self.Name} is the only one of its cluster: not removed (its data goes with the reset)");
            c.EtcdMemberKept = false;
            return;
        }
        // Ask the others, not the member that leaves.
        var others = members.Where(m => m.Id != self.Id).SelectMany(m => m.ClientUrls).Select(u => new Uri(u)).ToList();
        using var cluster = others.Count > 0 ? EtcdClient.FromPem(others, pem.Ca, pem.Cert, pem.Key) : null;
        await (cluster ?? local).RemoveMemberAsync(self.Id, ct).ConfigureAwait(false);
        c.EtcdMemberKept = false;
        c.EtcdMemberRemoved = $"{self.Name} ({self.IdHex})";
        c.Removed.Add($"etcd member {self.Name} ({self.IdHex}, {peerUrl})");
        sink.WriteVerbose($"{c.HostName}: removed etcd member {self.Name} ({self.IdHex})");
    }

    static KubeException Missing(ResetContext c, string flag) =>
        new("Reset.EtcdManifestIncomplete", $"{c.HostName}: the etcd manifest has no {flag}, so this node's member cannot be identified.",
            KubeErrorCategory.InvalidData, c.HostName, "Remove the member by hand with etcdctl member remove.");
}
