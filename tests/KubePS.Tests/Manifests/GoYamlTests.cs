using KubePS.Core.Manifests.Yaml;
using Xunit;

namespace KubePS.Tests.Manifests;

public sealed class GoYamlTests
{
    public static TheoryData<string> GoldenManifests()
    {
        var data = new TheoryData<string>();
        foreach (var v in new[] { "v1.18.2", "v1.30.14" })
            foreach (var f in new[] { "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler" })
                data.Add($"{v}/manifests/{f}.yaml");
        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenManifests))]
    public void Real_kubeadm_manifests_read_and_rewritten_come_out_byte_for_byte_the_same(string relative)
    {
        var path = Path.Combine(Golden.Dir, relative);
        string original = File.ReadAllText(path);
        var tree = GoYaml.Parse(original, relative)!;
        Assert.Equal(original, GoYaml.Emit(tree));
    }

    [Theory]
    [InlineData("0", "\"0\"\n")]
    [InlineData("", "\"\"\n")]
    [InlineData("true", "\"true\"\n")]
    [InlineData("on", "\"on\"\n")]
    [InlineData("1.5", "\"1.5\"\n")]
    [InlineData("0x1F", "\"0x1F\"\n")]
    [InlineData("2001-12-14", "\"2001-12-14\"\n")]
    [InlineData("1:20", "\"1:20\"\n")]
    [InlineData("null", "\"null\"\n")]
    [InlineData("10.96.0.0/12", "10.96.0.0/12\n")]
    [InlineData("--controllers=*,bootstrapsigner,tokencleaner", "--controllers=*,bootstrapsigner,tokencleaner\n")]
    [InlineData("*", "'*'\n")]
    [InlineData("- x", "'- x'\n")]
    [InlineData("a: b", "'a: b'\n")]
    [InlineData("1.2.3", "1.2.3\n")]
    public void Strings_that_would_read_back_as_another_type_are_quoted_as_go_yaml_v2_quotes_them(string value, string expected)
    {
        Assert.Equal("k: " + expected, GoYaml.Emit(new YMap().Set("k", value)));
    }

    [Fact]
    public void Map_keys_sort_with_go_yaml_natural_order()
    {
        var keys = new[] { "etcd-certs-10", "etcd-certs-2", "a_b", "ab", "aB", "Ab", "a1" };
        var sorted = keys.OrderBy(k => k, GoYamlKeyComparer.Instance).ToArray();
        // go-yaml v2: non-letters before letters ('_' is a run of no digits, so before '1'), digit runs numerically,
        // letters by code point.
        Assert.Equal(new[] { "Ab", "a_b", "a1", "aB", "ab", "etcd-certs-2", "etcd-certs-10" }, sorted);
    }
}
