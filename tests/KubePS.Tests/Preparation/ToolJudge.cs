using System.Diagnostics;

namespace KubePS.Tests.Preparation;

/// <summary>TEST-ONLY: runs real tools (bash -n, containerd config dump, python3 tomllib, jq) on rendered text.</summary>
public static class ToolJudge
{
    public static (int Exit, string Out, string Err) Run(string file, IEnumerable<string> args, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        p.WaitForExit();
        return (p.ExitCode, o.Result, e.Result);
    }

    /// <summary>bash -n: the script parses.</summary>
    public static void AssertBashParses(string script)
    {
        var (exit, _, err) = Run("bash", ["-n"], script);
        if (exit != 0) throw new Xunit.Sdk.XunitException($"bash -n rejected the script: {err}\n{script}");
    }

    /// <summary>The TOML as JSON, parsed by Python's tomllib (a real TOML parser).</summary>
    public static System.Text.Json.JsonDocument Toml(string toml)
    {
        var (exit, outp, err) = Run("python3", ["-c", "import sys, tomllib, json; print(json.dumps(tomllib.loads(sys.stdin.read())))"], toml);
        if (exit != 0) throw new Xunit.Sdk.XunitException($"tomllib rejected the TOML: {err}\n{toml}");
        return System.Text.Json.JsonDocument.Parse(outp);
    }

    /// <summary>containerd's own view of a config file (containerd --config FILE config dump).</summary>
    public static string ContainerdDump(string toml)
    {
        string path = Path.Combine(Path.GetTempPath(), $"kubeps-test-{Guid.NewGuid():N}.toml");
        try
        {
            File.WriteAllText(path, toml);
            var (exit, outp, err) = Run("containerd", ["--config", path, "config", "dump"]);
            if (exit != 0) throw new Xunit.Sdk.XunitException($"containerd rejected the config: {err}\n{toml}");
            return outp;
        }
        finally { File.Delete(path); }
    }

    /// <summary>jq's answer for a filter on a JSON text.</summary>
    public static string Jq(string json, string filter)
    {
        var (exit, outp, err) = Run("jq", ["-c", filter], json);
        if (exit != 0) throw new Xunit.Sdk.XunitException($"jq failed: {err}");
        return outp.Trim();
    }
}
