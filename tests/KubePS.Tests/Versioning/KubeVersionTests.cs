using KubePS.Core;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.Versioning;

public class KubeVersionTests
{
    [Theory]
    [InlineData("1.30", 1, 30, null)]
    [InlineData("v1.30.4", 1, 30, 4)]
    [InlineData("1.30.4", 1, 30, 4)]
    [InlineData("1.18.0", 1, 18, 0)]
    public void Released_versions_parse(string text, int major, int minor, int? patch)
    {
        var v = KubeVersion.Parse(text);
        Assert.Equal((major, minor, patch), (v.Major, v.Minor, v.Patch));
    }

    [Theory]
    [InlineData("1.30.4-rc.1")]
    [InlineData("v1")]
    [InlineData("1.30.04x")]
    [InlineData("1.30.04")]
    [InlineData("")]
    [InlineData("1.30.4+build")]
    [InlineData("latest")]
    public void Malformed_versions_fail_with_Version_Invalid_naming_the_value(string text)
    {
        var e = Assert.Throws<KubeException>(() => KubeVersion.Parse(text));
        Assert.Equal("Version.Invalid", e.ErrorId);
        Assert.Contains($"'{text}'", e.Message);
        Assert.Contains("1.30.4", e.Message);   // says what would be valid
    }

    [Theory]
    [InlineData("1.17")]
    [InlineData("2.0")]
    [InlineData("1.99.1")]
    public void Versions_outside_the_catalog_parse_but_are_unsupported(string text)
    {
        var v = KubeVersion.Parse(text);
        var e = Assert.Throws<KubeException>(() => VersionCatalog.Get(v));
        Assert.Equal("Version.Unsupported", e.ErrorId);
        Assert.Contains(v.ToString(), e.Message);
        Assert.Contains("v1.18", e.Message);
    }

    [Fact]
    public void Versions_order_by_major_minor_patch()
    {
        Assert.True(KubeVersion.Parse("1.9.9") < KubeVersion.Parse("1.10.0"));
        Assert.True(KubeVersion.Parse("1.30.10") > KubeVersion.Parse("1.30.9"));
        Assert.Equal(KubeVersion.Parse("v1.30.4"), KubeVersion.Parse("1.30.4"));
    }
}
