using System.Diagnostics;

namespace KubePS.Tests.Infrastructure;

/// <summary>Runs a real tool (openssl, etcdctl, kubectl, python3) for tests to judge with, with a bounded run time.</summary>
public static partial class Tool
{
    /// <summary>A finished run: <see cref="Output"/> is stdout, <see cref="Error"/> stderr, <see cref="All"/> both.</summary>
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string All => Output + Error;

        public Result OrThrow(string what) => ExitCode == 0 ? this : throw new InvalidOperationException($"{what} failed ({ExitCode}): {Error}{Output}");
    }

    public static Result Run(string file, IEnumerable<string> args, string? stdin = null, string? workingDirectory = null,
        IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            try { p.Kill(entireProcessTree: true); } catch { }
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result Run(string file, params string[] args) => Run(file, (IEnumerable<string>)args);

    public static Result Bash(string script, TimeSpan? timeout = null, IDictionary<string, string>? env = null) =>
        Run("/bin/bash", ["-c", script], timeout: timeout, env: env);

    public static bool Exists(string name) => Bash($"command -v {name}").ExitCode == 0;

    /// <summary>A free TCP port on 127.0.0.1 (bound then released).</summary>
    public static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static string TempDir(string area)
    {
        var d = Path.Combine(Path.GetTempPath(), $"kubeps-test-{area}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(d);
        return d;
    }
}
