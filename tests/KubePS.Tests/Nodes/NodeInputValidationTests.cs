using KubePS.Core;
using KubePS.Core.Nodes;
using Xunit;

namespace KubePS.Tests.Nodes;

/// <summary>Bad session options and file descriptions fail early, with a stable id and the offending value.</summary>
public sealed class NodeInputValidationTests
{
    static KubeException Fails(NodeSessionOptions o) => Assert.Throws<KubeException>(o.Validate);

    [Theory]
    [InlineData("")]
    [InlineData("bad host")]
    [InlineData("-oProxyCommand=evil")]
    [InlineData("root@cp1")]
    [InlineData("cp1:2222")]
    [InlineData("cp1..example.com")]
    [InlineData("ends-with-.example.com")]
    [InlineData("semi;colon")]
    public void A_malformed_host_name_is_Node_InvalidHostName_with_the_value(string host)
    {
        var e = Fails(new NodeSessionOptions { HostName = host });
        Assert.Equal("Node.InvalidHostName", e.ErrorId);
        Assert.Equal(KubeErrorCategory.InvalidArgument, e.Category);
        Assert.Contains($"'{host}'", e.Message);
        Assert.NotNull(e.RecommendedAction);
    }

    [Theory]
    [InlineData("cp1")]
    [InlineData("cp-1.example.com")]
    [InlineData("my_alias")]
    [InlineData("192.0.2.10")]
    [InlineData("2001:db8::10")]
    [InlineData("fqdn.example.com.")]
    public void Names_addresses_and_ssh_aliases_are_valid_host_names(string host) =>
        new NodeSessionOptions { HostName = host }.Validate();

    [Fact]
    public void A_user_with_a_bad_name_is_Node_InvalidUserName() =>
        Assert.Equal("Node.InvalidUserName", Fails(new NodeSessionOptions { HostName = "cp1", UserName = "ro ot" }).ErrorId);

    [Fact]
    public void Port_zero_is_Node_InvalidPort() =>
        Assert.Equal("Node.InvalidPort", Fails(new NodeSessionOptions { HostName = "cp1", Port = 0 }).ErrorId);

    [Fact]
    public void A_missing_key_file_is_Node_KeyFileNotFound_naming_the_path()
    {
        var e = Fails(new NodeSessionOptions { HostName = "cp1", KeyFilePath = "/nonexistent/id_kps" });
        Assert.Equal("Node.KeyFileNotFound", e.ErrorId);
        Assert.Contains("/nonexistent/id_kps", e.Message);
    }

    [Fact]
    public void A_missing_ssh_config_is_Node_SshConfigNotFound() =>
        Assert.Equal("Node.SshConfigNotFound", Fails(new NodeSessionOptions { HostName = "cp1", SshConfigFile = "/nonexistent/ssh_config" }).ErrorId);

    [Theory]
    [InlineData("StrictHostKeyChecking=no", "HostKeyPolicy")]
    [InlineData("stricthostkeychecking no", "HostKeyPolicy")]
    [InlineData("BatchMode=no", "batch mode")]
    [InlineData("ControlPath=/tmp/x", "batch mode")]
    [InlineData("ProxyJump", "Name=Value")]
    [InlineData("User=root\nProxyCommand=evil", "Name=Value")]
    public void An_ssh_option_that_KubePS_owns_or_that_is_malformed_is_Node_InvalidSshOption(string option, string hint)
    {
        var e = Fails(new NodeSessionOptions { HostName = "cp1", SshOptions = [option] });
        Assert.Equal("Node.InvalidSshOption", e.ErrorId);
        Assert.Contains(hint, e.RecommendedAction + e.Message);
    }

    [Fact]
    public void Ordinary_ssh_options_are_accepted() =>
        new NodeSessionOptions { HostName = "cp1", SshOptions = ["ProxyJump=bastion", "UserKnownHostsFile=/tmp/kh", "ServerAliveInterval 2"] }.Validate();

    [Fact]
    public void Local_and_dry_run_together_are_Node_ConflictingTransport() =>
        Assert.Equal("Node.ConflictingTransport", Fails(new NodeSessionOptions { Local = true, DryRunPath = "/tmp/x" }).ErrorId);

    [Fact]
    public void Ssh_settings_on_a_dry_run_session_are_Node_OptionNotApplicable()
    {
        var e = Fails(new NodeSessionOptions { HostName = "cp1", DryRunPath = "/tmp/x", UserName = "root", HostKeyPolicy = HostKeyPolicy.AcceptNew });
        Assert.Equal("Node.OptionNotApplicable", e.ErrorId);
        Assert.Contains("UserName", e.Message);
        Assert.Contains("HostKeyPolicy", e.Message);
    }

    [Fact]
    public void A_relative_dry_run_path_is_Node_InvalidDryRunPath() =>
        Assert.Equal("Node.InvalidDryRunPath", Fails(new NodeSessionOptions { HostName = "cp1", DryRunPath = "out" }).ErrorId);

    [Fact]
    public void A_zero_connect_timeout_is_Node_InvalidTimeout() =>
        Assert.Equal("Node.InvalidTimeout", Fails(new NodeSessionOptions { HostName = "cp1", ConnectTimeout = TimeSpan.Zero }).ErrorId);

    [Fact]
    public async Task Opening_with_bad_options_fails_before_any_connection_is_tried()
    {
        // A valid-looking but invalid combination: if validation came after connecting, ssh's own error would surface instead.
        var e = await Assert.ThrowsAsync<KubeException>(() => NodeSessionFactory.OpenAsync(
            new NodeSessionOptions { HostName = "192.0.2.1", SshOptions = ["StrictHostKeyChecking=no"], ConnectTimeout = TimeSpan.FromSeconds(30) }));
        Assert.Equal("Node.InvalidSshOption", e.ErrorId);
    }

    [Theory]
    [InlineData("relative/path")]
    [InlineData("/")]
    [InlineData("/etc/../root/.ssh/authorized_keys")]
    [InlineData("/etc/./x")]
    [InlineData("/etc//x")]
    [InlineData("/etc/x/")]
    [InlineData("/etc/x\ny")]
    [InlineData("/etc/x\ty")]
    public void A_bad_node_file_path_is_Node_InvalidFilePath(string path)
    {
        var e = Assert.Throws<KubeException>(() => new NodeFile(path, [1]));
        Assert.Equal("Node.InvalidFilePath", e.ErrorId);
    }

    [Theory]
    [InlineData("ro ot")]
    [InlineData("x:y")]
    [InlineData("")]
    [InlineData("-rf")]
    public void A_bad_owner_is_Node_InvalidFileOwner(string owner) =>
        Assert.Equal("Node.InvalidFileOwner", Assert.Throws<KubeException>(() => new NodeFile("/etc/x", [1], 0b110_100_100, owner)).ErrorId);

    [Fact]
    public void A_mode_beyond_7777_is_Node_InvalidFileMode()
    {
        Assert.Equal("Node.InvalidFileMode", Assert.Throws<KubeException>(() => new NodeFile("/etc/x", [1], 0x10000)).ErrorId);
        Assert.Equal("Node.InvalidFileMode", Assert.Throws<KubeException>(() => new NodeFile("/etc/x", [1]) { DirectoryMode = -1 }).ErrorId);
    }

    [Fact]
    public void A_node_file_never_shows_its_content()
    {
        var f = NodeFile.Text("/etc/kubernetes/pki/ca.key", "-----BEGIN PRIVATE KEY-----secret", 0b110_000_000);
        Assert.Equal("/etc/kubernetes/pki/ca.key (0600, 33 bytes)", f.ToString());
    }
}
