using System.Net;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Tests.Preflight.Support;
using Xunit;
using Xunit.Abstractions;

namespace KubePS.Tests.Preflight;

/// <summary>
/// The node probe run for real with bash on this machine (and in namespaces the tests create), judged against what
/// the kernel and the standard tools say directly.
/// </summary>
public sealed class NodeProbeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Probe_on_this_machine_reports_what_the_kernel_says()
    {
        var t = new LocalBashTransport("local");
        var r = await t.RunAsync(NodeProbe.Script(), TimeSpan.FromMinutes(1), default);
        output.WriteLine(r.Output);
        output.WriteLine(r.Error);
        Assert.Equal(0, r.ExitCode);
        var facts = NodeFacts.Parse("local", r.Output);

        Assert.Equal(Environment.ProcessorCount, facts.CpuCount);
        long memKb = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.Equal(memKb / 1024, facts.MemoryMiB);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), facts.KernelRelease);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/hostname").Trim(), facts.NodeName);
        Assert.Equal(0, facts.Euid);
        string osId = File.ReadLines("/etc/os-release").First(l => l.StartsWith("ID=")).Split('=')[1].Trim('"');
        Assert.Equal(osId, facts.OsId);
        Assert.Equal(File.ReadAllLines("/proc/swaps").Length - 1, facts.SwapDevices.Count);
        Assert.Equal(File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim(), facts.Sysctls["net.ipv4.ip_forward"]);
        Assert.Equal(File.Exists("/proc/config.gz") ? "/proc/config.gz" : null, facts.KernelConfigSource);
        Assert.Equal(File.Exists("/usr/bin/tc") || File.Exists("/usr/sbin/tc") || File.Exists("/sbin/tc"), facts.HasTool("tc"));
        Assert.True(facts.CgroupVersion is 1 or 2);
        Assert.Contains("memory", facts.CgroupControllers);
    }

    [Fact]
    public async Task Probe_in_a_fresh_network_namespace_sees_only_its_own_listeners()
    {
        // A listener on 6443 held open inside the namespace, and nothing else there.
        await using var node = await NamespaceNode.StartAsync("probe-ports", new NamespaceNode.Options
        {
            Setup = Listener(6443),
        });
        var facts = await NodeProbe.GatherAsync(node.Transport(), null, default);
        Assert.Equal([6443], facts.ListeningPorts);
        Assert.Equal("probe-ports", facts.NodeName);
        Assert.Empty(facts.Addresses);
    }

    /// <summary>bash that holds a TCP listener open on a port in the node's network namespace and waits until it listens.</summary>
    internal static string Listener(int port) =>
        $"perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(LocalPort => {port}, Listen => 5, ReuseAddr => 1) or die $!; sleep 100000' &\n" +
        $"for i in $(seq 100); do grep -qi ':{port:X4} 00000000:0000 0A' /proc/net/tcp && break; sleep 0.05; done";

    [Fact]
    public async Task Probe_reads_swap_from_proc_swaps_and_fstab_separately()
    {
        // A private mount namespace with /proc/swaps and /etc/fstab replaced by files of our own.
        await using var node = await NamespaceNode.StartAsync("probe-swap", new NamespaceNode.Options
        {
            Setup = """
                d=$(mktemp -d); mount -t tmpfs kubeps-test "$d"
                printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swap.img                               file\t\t2097148\t\t0\t\t-2\n' > "$d/swaps"
                printf '# comment\nUUID=abc / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n#/old none swap sw 0 0\n' > "$d/fstab"
                mount --bind "$d/swaps" /proc/swaps
                mount --bind "$d/fstab" /etc/fstab
                """,
        });
        var facts = await NodeProbe.GatherAsync(node.Transport(), null, default);
        Assert.Equal(["/swap.img"], facts.SwapDevices);
        Assert.Equal(["/swap.img none swap sw 0 0"], facts.FstabSwapLines);
    }

    [Fact]
    public async Task Probe_reports_paths_as_absent_file_empty_or_nonempty()
    {
        string dir = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "empty"));
            Directory.CreateDirectory(Path.Combine(dir, "full"));
            File.WriteAllText(Path.Combine(dir, "full", "member"), "x");
            File.WriteAllText(Path.Combine(dir, "file"), "x");
            var options = new NodeProbeOptions { Paths = [$"{dir}/empty", $"{dir}/full/", $"{dir}/file", $"{dir}/none"] };
            var facts = await NodeProbe.GatherAsync(new LocalBashTransport("local"), options, default);
            Assert.Equal(NodePathState.EmptyDirectory, facts.PathState($"{dir}/empty"));
            Assert.Equal(NodePathState.Directory, facts.PathState($"{dir}/full"));
            Assert.Equal(NodePathState.File, facts.PathState($"{dir}/file"));
            Assert.Equal(NodePathState.Absent, facts.PathState($"{dir}/none"));
            Assert.True(facts.Covers(options));
            Assert.False(facts.Covers(new NodeProbeOptions { Paths = ["/not/asked"] }));
            var e = Assert.Throws<KubeException>(() => facts.PathState("/not/asked"));
            Assert.Equal("Node.PathNotProbed", e.ErrorId);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Probe_masks_proxy_credentials()
    {
        var t = new LocalBashTransport("local");
        string script = "export HTTPS_PROXY='http://alice:s3cret@proxy.example:3128' NO_PROXY='10.0.0.0/8,.svc'\n" + NodeProbe.Script();
        var r = await t.RunAsync(script, TimeSpan.FromMinutes(1), default);
        Assert.DoesNotContain("s3cret", r.Output);
        var facts = NodeFacts.Parse("local", r.Output);
        Assert.Equal("http://***@proxy.example:3128", facts.Proxy.HttpsProxy);
        Assert.Equal("10.0.0.0/8,.svc", facts.Proxy.NoProxy);
    }

    [Fact]
    public void Output_without_header_is_a_clear_error()
    {
        var e = Assert.Throws<KubeException>(() => NodeFacts.Parse("n1", "bash: command not found\n"));
        Assert.Equal("Node.ProbeOutputInvalid", e.ErrorId);
        Assert.Contains("n1", e.Message);
        Assert.Contains("command not found", e.Message);
    }

    [Fact]
    public void Output_cut_short_is_a_clear_error()
    {
        var e = Assert.Throws<KubeException>(() => NodeFacts.Parse("n1", "kubeps.probe=1\ncpu.count=2\n"));
        Assert.Equal("Node.ProbeOutputInvalid", e.ErrorId);
        Assert.Contains("ends early", e.Message);
    }

    [Fact]
    public void A_line_that_is_not_key_value_is_a_clear_error()
    {
        var e = Assert.Throws<KubeException>(() => NodeFacts.Parse("n1", "kubeps.probe=1\nSegmentation fault\nkubeps.probe.end=1\n"));
        Assert.Equal("Node.ProbeOutputInvalid", e.ErrorId);
        Assert.Contains("Segmentation fault", e.Message);
    }

    [Fact]
    public void A_malformed_number_is_a_clear_error_naming_the_key()
    {
        var e = Assert.Throws<KubeException>(() => NodeFacts.Parse("n1", "kubeps.probe=1\ncpu.count=two\nkubeps.probe.end=1\n"));
        Assert.Equal("Node.ProbeOutputInvalid", e.ErrorId);
        Assert.Contains("cpu.count", e.Message);
        Assert.Contains("n1", e.Message);
    }

    [Fact]
    public void A_login_banner_before_the_header_is_skipped()
    {
        var facts = NodeFacts.Parse("n1", "Welcome to node1!\nkubeps.probe=1\ncpu.count=4\nnet.default_ipv4=10.0.0.5\nkubeps.probe.end=1\n");
        Assert.Equal(4, facts.CpuCount);
        Assert.Equal(IPAddress.Parse("10.0.0.5"), facts.DefaultAddress);
    }

    [Fact]
    public void Tool_versions_with_suffixes_parse_leniently()
    {
        var facts = NodeFacts.Parse("n1", "kubeps.probe=1\nkube.kubelet.version=v1.30.4\nkube.kubectl.version=v1.32.4-dispatcher\nkubeps.probe.end=1\n");
        Assert.Equal("v1.30.4", facts.KubeletVersion!.ToString());
        Assert.Equal("v1.32.4", facts.KubectlVersion!.ToString());
        Assert.Null(facts.KubeadmVersion);
    }
}
