using Xunit;

namespace KubePS.Tests.Lab;

/// <summary>
/// The lab's command stand-ins (withShims): what a node does with them stays in that node, judged on the other node and
/// on the host with plain reads. Nothing here goes through KubePS: the commands run over the system ssh client.
/// </summary>
public sealed class LabShimTests
{
    [Fact]
    public async Task Shimmed_commands_change_only_the_node_that_runs_them()
    {
        string hostForward = File.ReadAllText("/proc/sys/net/ipv4/ip_forward"), hostSwappiness = File.ReadAllText("/proc/sys/vm/swappiness");
        await using var lab = await NodeLab.CreateAsync(2, withShims: true);
        var (n1, n2) = (lab.Nodes[0], lab.Nodes[1]);
        string n2Forward = (await lab.ExecAsync(n2, "cat /proc/sys/net/ipv4/ip_forward")).Output;

        var r = (await lab.SshAsync(n1, """
            set -e
            sysctl -w net.ipv4.ip_forward=1 >/dev/null
            sysctl -w vm.swappiness=7 2>/dev/null
            echo "forward=$(cat /proc/sys/net/ipv4/ip_forward) recorded=$(cat /run/lab-sysctl/vm.swappiness)"
            if modprobe ip_vs 2>/dev/null; then echo ipvs=loaded; else echo ipvs=refused; fi
            apt-get install -y socat >/dev/null 2>&1
            echo "socat=$(dpkg-query -W -f='${db:Status-Status}' socat) at $(command -v socat)"
            mkdir -p /etc/lab-systemd/handlers
            printf '#!/bin/sh\necho "handler: $*"\n' > /etc/lab-systemd/handlers/kubelet; chmod 755 /etc/lab-systemd/handlers/kubelet
            systemctl --quiet enable kubelet.service
            systemctl is-enabled chrony.service || echo "chrony: rc=$?"
            echo "resolv=$(cat /etc/resolv.conf)"
            """)).EnsureSuccess("commands on n1");
        Assert.Equal("""
            vm.swappiness = 7
            forward=1 recorded=7
            ipvs=refused
            socat=installed at /usr/local/sbin/socat
            handler: --quiet enable kubelet.service
            chrony: rc=1
            resolv=nameserver 127.0.0.1

            """, r.Output);
        Assert.Contains("Failed to get unit file state for chrony.service", r.Error);

        // The other node and the host: untouched.
        Assert.Equal(n2Forward, (await lab.ExecAsync(n2, "cat /proc/sys/net/ipv4/ip_forward")).Output);
        Assert.NotEqual(0, (await lab.ExecAsync(n2, "dpkg-query -W socat")).ExitCode);
        Assert.NotEqual(0, (await lab.ExecAsync(n2, "command -v socat")).ExitCode);
        Assert.Equal(hostForward, File.ReadAllText("/proc/sys/net/ipv4/ip_forward"));
        Assert.Equal(hostSwappiness, File.ReadAllText("/proc/sys/vm/swappiness"));
        Assert.False(File.Exists("/usr/local/sbin/socat"));
        Assert.Contains("sysctl -w vm.swappiness=7", (await lab.ExecAsync(n1, "cat /var/log/lab-shims.log")).Output);
        // A node restart keeps the node's files and its systemd marker.
        await lab.KillSshdAsync(n1);
        await lab.RestartNodeAsync(n1);
        Assert.Equal(0, (await lab.ExecAsync(n1, "test -d /run/systemd/system && command -v socat")).ExitCode);
    }
}
