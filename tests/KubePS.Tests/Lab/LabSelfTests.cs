using Xunit;

namespace KubePS.Tests.Lab;

/// <summary>The lab itself: crashed runs do not pile up, and labs do not touch each other.</summary>
public sealed class LabSelfTests
{
    static bool Running(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1][0] != 'Z'; }   // a zombie holds nothing
        catch (IOException) { return false; }
    }

    [Fact]
    public async Task Leftovers_of_a_crashed_lab_are_torn_down_before_a_new_lab_starts()
    {
        // A lab whose owner process is gone: its slot, netns, veth, bridge and a running sshd are left behind.
        var id = await LabSlots.AllocateAsync(default);
        File.WriteAllText(Path.Combine(NodeLab.Root, id.ToString(), "owner"), "2147483646 0");
        var env = new Dictionary<string, string?> { ["LAB_ID"] = id.ToString(), ["LAB_ROOT"] = NodeLab.Root };
        (await NodeLab.RunAsync("/bin/bash", [Path.Combine(AppContext.BaseDirectory, "Lab", "lab-up.sh"), "1"], env, default)).EnsureSuccess("lab-up of the crashed lab");
        var unshare = int.Parse(File.ReadAllText(Path.Combine(NodeLab.Root, id.ToString(), "nodes", "n1", "node.pid")));
        Assert.True(Running(unshare));

        await using var lab = await NodeLab.CreateAsync(1);
        Assert.NotEqual(id, lab.Id);
        var netns = (await NodeLab.RunAsync("ip", ["netns", "list"], null, default)).Output;
        var links = (await NodeLab.RunAsync("ip", ["-o", "link", "show"], null, default)).Output;
        Assert.DoesNotContain($"kpl{id}n", netns);
        Assert.DoesNotContain($"kpl{id}", links);
        var state = Path.Combine(NodeLab.Root, id.ToString());
        Assert.False(Directory.Exists(state), Directory.Exists(state) ? string.Join(", ", Directory.GetFileSystemEntries(state, "*", SearchOption.AllDirectories)) : "");
        Assert.False(Running(unshare));

        // The new lab, on its own /24, works.
        Assert.Equal("n1", (await lab.SshAsync(lab.Nodes[0], "hostname")).EnsureSuccess("ssh into the new lab").Output.Trim());
        Assert.Contains($"10.250.{lab.Id}.1/24", (await NodeLab.RunAsync("ip", ["-o", "addr", "show", lab.Bridge], null, default)).Output);
    }

    [Fact]
    public async Task Folders_the_lab_keeps_stay_visible_under_the_nodes_fresh_tmp_and_root()
    {
        // A repository cloned under /tmp or /root (root's home) must still reach the nodes: its bin folders hold the
        // lab's executables and stand-ins. Everything else under the host's /tmp stays hidden.
        var kept = Directory.CreateTempSubdirectory("kps-kept-");
        var hidden = Directory.CreateTempSubdirectory("kps-hidden-");
        try
        {
            File.WriteAllText(Path.Combine(kept.FullName, "marker"), "from the host");
            File.WriteAllText(Path.Combine(hidden.FullName, "marker"), "from the host");
            await using var lab = await NodeLab.CreateAsync(1, withShims: false, [kept.FullName, "/usr/share"], default);
            var seen = (await lab.SshAsync(lab.Nodes[0],
                $"cat {kept.FullName}/marker; test -e {hidden.FullName} && echo hidden-visible; touch /tmp/node-file && echo tmp-writable")).EnsureSuccess("look from the node");
            Assert.Contains("from the host", seen.Output);
            Assert.DoesNotContain("hidden-visible", seen.Output);
            Assert.Contains("tmp-writable", seen.Output);
            Assert.False(File.Exists("/tmp/node-file"));   // the node's /tmp is still its own
        }
        finally
        {
            kept.Delete(recursive: true);
            hidden.Delete(recursive: true);
        }
    }
}
