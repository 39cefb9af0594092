using KubePS.Core.Cluster;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Pki;

namespace KubePS.Core.Workflows.Upgrade;

/// <summary>The upgrade's certificate check: expired certificates on the control-plane nodes block it (kubeadm renews, it cannot revive).</summary>
public static class UpgradeCertificateCheck
{
    /// <summary>
    /// Reads the certificates of every control-plane node over <paramref name="sessions"/> (else the registered session
    /// that matches the node). Returns the blockers (one per expired certificate) and notes for nodes not checked.
    /// </summary>
    public static async Task<(IReadOnlyList<KubeException> Blockers, IReadOnlyList<string> Notes)> RunAsync(ClusterState state,
        IReadOnlyList<KubeNodeSession>? sessions, IOperationSink sink, CancellationToken ct)
    {
        var blockers = new List<KubeException>();
        var notes = new List<string>();
        foreach (var cp in state.ControlPlanes)
        {
            var session = sessions?.FirstOrDefault(s => Matches(s.HostName, cp)) ?? NodeSessionRegistry.Find(cp.HostName);
            if (session is null || session.IsClosed)
            {
                notes.Add($"certificates of {cp.Name} not checked: no session (open one with New-KubeNodeSession -HostName {cp.HostName})");
                continue;
            }
            try
            {
                foreach (var c in await NodeCertificateInventory.GetAsync(session, null, ct).ConfigureAwait(false))
                    if (c.ResidualTime <= TimeSpan.Zero && !c.ExternallyManaged)
                        blockers.Add(new KubeException("Upgrade.CertificateExpired",
                            $"{cp.Name}: certificate {c.Name} expired at {c.NotAfter:u}.", KubeErrorCategory.InvalidOperation, c.Name,
                            $"Renew it first: Update-KubeCertificate -HostName {session.HostName} -Name {c.Name}."));
                    else if (c.ResidualTime <= TimeSpan.Zero)
                        notes.Add($"{cp.Name}: {c.Name} expired at {c.NotAfter:u} (externally managed: renew it where it is issued)");
            }
            catch (KubeException e)
            {
                notes.Add($"certificates of {cp.Name} not checked: {e.Message}");
                sink.WriteVerbose($"{cp.Name}: certificate check failed: {e.Message}");
            }
        }
        return (blockers, notes);
    }

    static bool Matches(string host, KubeNode node) =>
        string.Equals(host, node.HostName, StringComparison.OrdinalIgnoreCase) || string.Equals(host, node.Name, StringComparison.OrdinalIgnoreCase) ||
        string.Equals(host, node.InternalIP, StringComparison.OrdinalIgnoreCase);
}
