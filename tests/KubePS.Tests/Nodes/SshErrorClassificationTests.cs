using KubePS.Core;
using KubePS.Core.Nodes;
using Xunit;

namespace KubePS.Tests.Nodes;

/// <summary>
/// Classification of ssh's own failure texts (exit code 255, before the script began). The texts are what OpenSSH 9.2
/// (Debian 12) printed for these failures; the lab tests produce the same failures for real against sshd. Name
/// resolution is only covered here: the tests send no traffic to a DNS server.
/// </summary>
public sealed class SshErrorClassificationTests
{
    static readonly NodeSessionOptions Options = new() { HostName = "cp1", ConnectTimeout = TimeSpan.FromSeconds(5) };

    [Theory]
    [InlineData("ssh: Could not resolve hostname cp1: Name or service not known\n", "Node.Unreachable", "does not resolve")]
    [InlineData("ssh: Could not resolve hostname cp1: Temporary failure in name resolution\n", "Node.Unreachable", "does not resolve")]
    [InlineData("ssh: connect to host 10.250.200.11 port 2222: Connection refused\n", "Node.Unreachable", "Connection refused")]
    [InlineData("ssh: connect to host 10.250.200.250 port 22: Connection timed out\n", "Node.Unreachable", "timed out")]
    [InlineData("ssh: connect to host 10.250.200.250 port 22: No route to host\n", "Node.Unreachable", "No route")]
    [InlineData("kex_exchange_identification: read: Connection reset by peer\nConnection reset by 10.0.0.1 port 22\n", "Node.Unreachable", "reset")]
    [InlineData("root@10.250.200.11: Permission denied (publickey).\n", "Node.AuthenticationFailed", "publickey")]
    [InlineData("No ED25519 host key is known for 10.250.200.11 and you have requested strict checking.\nHost key verification failed.\n", "Node.HostKeyUnknown", "verification failed")]
    [InlineData("@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@\nIT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\nHost key for 10.250.200.11 has changed and you have requested strict checking.\nHost key verification failed.\n", "Node.HostKeyMismatch", "has changed")]
    [InlineData("/tmp/x/ssh_config: line 3: Bad configuration option: nosuchoption\n/tmp/x/ssh_config: terminating, 1 bad configuration options\n", "Node.SshConfigInvalid", "Bad configuration option")]
    [InlineData("", "Node.SshFailed", "without saying why")]
    public void Ssh_failure_texts_map_to_stable_ids_and_the_message_quotes_ssh(string stderr, string id, string quoted)
    {
        var e = SshErrors.Classify("cp1", "root", Options, stderr);
        Assert.Equal(id, e.ErrorId);
        Assert.StartsWith("cp1: ", e.Message);
        Assert.Contains(quoted, e.Message);
        Assert.False(string.IsNullOrWhiteSpace(e.RecommendedAction));
        Assert.Equal("cp1", e.Target);
    }

    [Fact]
    public void A_changed_key_is_never_reported_as_merely_unknown()
    {
        // The mismatch text also contains "Host key verification failed": the stronger finding must win.
        var e = SshErrors.Classify("cp1", null, Options, "Host key for cp1 has changed and you have requested strict checking.\nHost key verification failed.\n");
        Assert.Equal("Node.HostKeyMismatch", e.ErrorId);
        Assert.Equal(KubeErrorCategory.SecurityError, e.Category);
    }
}
