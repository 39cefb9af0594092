using KubePS.Core.Bootstrap;
using System.Collections;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.Configuration;
using Xunit;

namespace KubePS.Tests.Configuration;

/// <summary>Paths, external judges (PyYAML, openssl) and a reflection-based model comparison for the configuration tests.</summary>
internal static class ConfigTestSupport
{
    public static string RepoRoot => Repo.Root;

    public static string Example(string name) => Path.Combine(RepoRoot, "examples", name);

    /// <summary>shared/kubeadm-reference beside the repository (what real kubeadm wrote).</summary>
    public static string Reference => Repo.Reference ?? throw new InvalidOperationException($"shared/kubeadm-reference not found beside {Repo.Root}");

    public static (int Exit, string Out, string Err) Run(string file, string args, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        p.WaitForExit(60_000);
        return (p.ExitCode, outTask.Result, errTask.Result);
    }

    /// <summary>
    /// Parses multi-document YAML with PyYAML (an independent YAML implementation) into a JSON array of documents.
    /// Scalars PyYAML types as dates become strings; everything else keeps PyYAML's typing.
    /// </summary>
    public static JsonArray PyYaml(string yaml)
    {
        const string script = "import sys, json, yaml\n" +
                              "docs = [d for d in yaml.safe_load_all(sys.stdin.read()) if d is not None]\n" +
                              "print(json.dumps(docs, default=str))\n";
        var (exit, stdout, stderr) = Run("python3", $"-c \"{script.Replace("\"", "\\\"")}\"", yaml);
        Assert.True(exit == 0, $"PyYAML could not parse the YAML: {stderr}\n{yaml}");
        return (JsonArray)JsonNode.Parse(stdout)!;
    }

    /// <summary>Compares two PyYAML document trees, ignoring the order of mapping keys and of documents of different kinds.</summary>
    public static void AssertSameTrees(JsonArray expected, JsonArray actual)
    {
        static string Key(JsonNode? d) => $"{d?["apiVersion"]}/{d?["kind"]}";
        var e = expected.ToDictionary(Key);
        var a = actual.ToDictionary(Key);
        Assert.Equal(e.Keys.OrderBy(k => k), a.Keys.OrderBy(k => k));
        foreach (var (k, doc) in e)
            Assert.True(JsonNode.DeepEquals(Canonical(doc), Canonical(a[k])),
                $"document {k} differs:\nexpected {Canonical(doc)?.ToJsonString()}\nactual   {Canonical(a[k])?.ToJsonString()}");
    }

    static JsonNode? Canonical(JsonNode? n) => n switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray arr => new JsonArray(arr.Select(Canonical).ToArray()),
        null => null,
        _ => JsonNode.Parse(n.ToJsonString()),
    };

    /// <summary>
    /// Compares two configuration models property by property (public instance properties, recursively; lists in order;
    /// ConfigNode trees structurally; values by Equals). Reports the path of the first difference.
    /// </summary>
    public static void AssertSameModel(object? expected, object? actual, string path = "config")
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {Show(expected)}, got {Show(actual)}");
            return;
        }
        Assert.True(expected.GetType() == actual.GetType(), $"{path}: type {expected.GetType().Name} vs {actual.GetType().Name}");
        switch (expected)
        {
            case string or ValueType or BootstrapTokenString or CertificateKey or KubeArg:
                Assert.True(expected.Equals(actual), $"{path}: expected {Show(expected)}, got {Show(actual)}");
                return;
            case ConfigNode node:
                Assert.True(node.DeepEquals((ConfigNode)actual), $"{path}: YAML trees differ");
                return;
            case IDictionary dict:
            {
                var other = (IDictionary)actual;
                Assert.True(dict.Count == other.Count, $"{path}: {dict.Count} entries vs {other.Count}");
                foreach (DictionaryEntry entry in dict)
                {
                    Assert.True(other.Contains(entry.Key), $"{path}: missing key {entry.Key}");
                    AssertSameModel(entry.Value, other[entry.Key], $"{path}[{entry.Key}]");
                }
                return;
            }
            case IList list:
            {
                var other = (IList)actual;
                Assert.True(list.Count == other.Count, $"{path}: {list.Count} items vs {other.Count}");
                for (int i = 0; i < list.Count; i++) AssertSameModel(list[i], other[i], $"{path}[{i}]");
                return;
            }
        }
        foreach (var p in expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetIndexParameters().Length > 0 || p.Name is nameof(KubeClusterConfiguration.SourcePath)) continue;
            if (expected is KubeClusterConfiguration && !IsModelProperty(p)) continue;
            AssertSameModel(p.GetValue(expected), p.GetValue(actual), $"{path}.{p.Name}");
        }
    }

    // On KubeClusterConfiguration only the document properties are the model; the rest are derived views.
    static bool IsModelProperty(PropertyInfo p) => p.Name is "Init" or "Cluster" or "Join" or "Kubelet" or "KubeProxy" or "ExtraDocuments" or "SourceApiVersion";

    static string Show(object? o) => o is null ? "null" : $"'{o}'";

    /// <summary>Runs Validate() and returns the errors it throws (empty when valid).</summary>
    public static IReadOnlyList<KubeException> Errors(KubeClusterConfiguration cfg)
    {
        try { cfg.Validate(); return []; }
        catch (KubeAggregateException e) { return e.Errors; }
        catch (KubeException e) { return [e]; }
    }

    /// <summary>The single error with the id; fails listing what was found otherwise.</summary>
    public static KubeException Single(KubeClusterConfiguration cfg, string errorId)
    {
        var errors = Errors(cfg);
        var matching = errors.Where(e => e.ErrorId == errorId).ToList();
        Assert.True(matching.Count >= 1, $"expected {errorId}, got: {string.Join(" | ", errors.Select(e => $"{e.ErrorId}: {e.Message}"))}");
        return matching[0];
    }

    public static KubeException ParseError(string yaml)
    {
        var e = Assert.ThrowsAny<KubeException>(() => KubeClusterConfiguration.Parse(yaml, "test.yaml"));
        return e;
    }
}
