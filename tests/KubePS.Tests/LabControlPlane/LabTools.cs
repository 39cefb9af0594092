using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KubePS.Tests.LabControlPlane;

public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public string All => Stdout + Stderr;
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Running real tools (openssl, kubectl, etcdctl, curl, the lab executable) with bounded time.</summary>
public static class LabTools
{
    /// <summary>The lab executable, built beside the tests: tests/KubePS.LabControlPlane/bin/CONFIG/net10.0.</summary>
    public static string LabExe
    {
        get
        {
            var config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            var exe = Repo.Path_("tests", "KubePS.LabControlPlane", "bin", config, "net10.0", "KubePS.LabControlPlane");
            if (!File.Exists(exe)) throw new InvalidOperationException($"lab executable not built at {exe}: run `dotnet build KubePS.sln`");
            return exe;
        }
    }

    public static string SystemctlShim => Path.Combine(Path.GetDirectoryName(LabExe)!, "shims", "systemctl");

    public static ToolResult Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, string? stdin = null,
        TimeSpan? timeout = null, string? workDir = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            WorkingDirectory = workDir ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = new List<string>();
        var stderr = new List<string>();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Add(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        if (!p.WaitForExit(limit))
        {
            try { p.Kill(true); } catch (InvalidOperationException) { }
            p.WaitForExit(5000);
            lock (stdout) lock (stderr)
                return new ToolResult(-1, string.Join('\n', stdout),
                    string.Join('\n', stderr) + $"\n(timed out after {limit.TotalSeconds}s: {file} {string.Join(' ', psi.ArgumentList)})");
        }
        p.WaitForExit();
        // Lines joined without a final newline, so single-line outputs compare as they print.
        lock (stdout) lock (stderr) return new ToolResult(p.ExitCode, string.Join('\n', stdout), string.Join('\n', stderr));
    }

    public static ToolResult Bash(string script, IDictionary<string, string>? env = null, TimeSpan? timeout = null, string? workDir = null) =>
        Run("/bin/bash", ["-c", script], env, null, timeout, workDir);

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Polls until <paramref name="check"/> holds; fails with <paramref name="what"/> and the last observation.</summary>
    public static void WaitFor(string what, TimeSpan timeout, Func<(bool ok, string seen)> check)
    {
        var until = DateTime.UtcNow + timeout;
        string seen = "";
        while (DateTime.UtcNow < until)
        {
            bool ok;
            (ok, seen) = check();
            if (ok) return;
            Thread.Sleep(300);
        }
        throw new Xunit.Sdk.XunitException($"timed out after {timeout.TotalSeconds}s waiting for {what}; last seen: {seen}");
    }

    /// <summary>Every process whose command line or environment mentions <paramref name="marker"/> (the lab's root).</summary>
    public static List<int> ProcessesMentioning(string marker)
    {
        var found = new List<int>();
        var self = Environment.ProcessId;
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == self) continue;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline"));
                string envText = "";
                try { envText = File.ReadAllText(Path.Combine(dir, "environ")); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                if (cmd.Contains(marker, StringComparison.Ordinal) || envText.Contains(marker, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    public static void KillAll(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            try { Process.GetProcessById(pid).Kill(true); }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
            catch (System.ComponentModel.Win32Exception) { }
        }
    }
}
