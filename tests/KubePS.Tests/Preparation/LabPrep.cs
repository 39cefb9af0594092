using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Tests.Lab;
using Xunit;

namespace KubePS.Tests.Preparation;

/// <summary>
/// TEST-ONLY helpers for node preparation on lab nodes with shims: sessions opened the way New-KubeNodeSession opens
/// them, node states set up with nsenter (never through KubePS), and judges that read a node's state with plain tools.
/// </summary>
public static class LabPrep
{
    /// <summary>Sessions to every given node, opened and registered as New-KubeNodeSession does (in parallel, one error per unreachable node).</summary>
    public static async Task<IReadOnlyList<KubeNodeSession>> OpenAsync(NodeLab lab, IEnumerable<LabNode> nodes, IOperationSink sink)
    {
        var list = nodes.ToList();
        var sessions = await NodeSessionFactory.OpenManyAsync(list.Select(lab.SessionOptions).ToList(), sink, register: true);
        Assert.Equal(list.Select(n => n.Address), sessions.Select(s => s.HostName));
        return sessions;
    }

    /// <summary>A process inside the node listening on <paramref name="port"/> (python3), as a leftover API server would.</summary>
    public static async Task HoldPortAsync(NodeLab lab, LabNode node, int port)
    {
        string listener = $"import socket, time\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('0.0.0.0', {port}))\ns.listen()\ntime.sleep(3600)\n";
        (await lab.ExecAsync(node, $"""
            setsid /usr/bin/python3 -c "{listener}" </dev/null >/dev/null 2>&1 &
            for i in $(seq 200); do ss -Hltn 'sport = :{port}' | grep -q . && exit 0; sleep 0.05; done
            echo "nothing listens on {port}" >&2; exit 1
            """)).EnsureSuccess($"hold port {port} on {node}");
    }

    /// <summary>
    /// Swap "on" in the node: a swaps file bind-mounted over the node's /proc/swaps (the real one is the shared
    /// kernel's) and a swap line in the node's own /etc/fstab.
    /// </summary>
    public static async Task FakeSwapAsync(NodeLab lab, LabNode node) =>
        (await lab.ExecAsync(node, """
            set -e
            printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swap.img                               file\t\t2097148\t\t0\t\t-2\n' > /run/lab-swaps
            mount --bind /run/lab-swaps /proc/swaps
            printf '/swap.img none swap sw 0 0\n' >> /etc/fstab
            """)).EnsureSuccess($"fake swap on {node}");

    /// <summary>Standard output of a command run inside the node with nsenter (a judge that does not go through KubePS or ssh).</summary>
    public static async Task<string> ShAsync(NodeLab lab, LabNode node, string script) =>
        (await lab.ExecAsync(node, script)).EnsureSuccess($"'{script}' on {node}").Output;

    /// <summary>Ports listening in the node, as ss sees them.</summary>
    public static async Task<bool> ListensAsync(NodeLab lab, LabNode node, int port) =>
        (await ShAsync(lab, node, $"ss -Hltn 'sport = :{port}'")).Trim().Length > 0;
}
