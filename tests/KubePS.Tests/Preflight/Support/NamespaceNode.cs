using System.Diagnostics;
using System.Text;

namespace KubePS.Tests.Preflight.Support;

/// <summary>
/// TEST-ONLY: a "node" made of fresh network, mount and UTS namespaces on this machine, held open by a sleeping
/// process started with unshare. Directories listed in <see cref="Options.Overlays"/> get a private copy-on-write
/// overlay (upper dirs under a per-test temp dir), so writes inside the node never reach the host. Scripts enter the
/// namespaces with nsenter through <see cref="LocalBashTransport"/>. Dispose kills only the process this class started.
/// </summary>
public sealed class NamespaceNode : IAsyncDisposable
{
    public sealed record Options
    {
        public IReadOnlyList<string> Overlays { get; init; } = [];
        /// <summary>bash run inside the namespaces (as root, after the overlays are mounted) before the node is ready.</summary>
        public string Setup { get; init; } = "";
        /// <summary>Mount a fresh tmpfs on /run (hides the host's /run/systemd and sockets).</summary>
        public bool PrivateRun { get; init; } = true;
    }

    readonly Process _holder;

    NamespaceNode(string name, string dir, Process holder)
    {
        Name = name; Dir = dir; _holder = holder;
    }

    public string Name { get; }
    /// <summary>The per-test directory on the host (overlay upper dirs under ovl/).</summary>
    public string Dir { get; }
    public int Pid => _holder.Id;

    public LocalBashTransport Transport(string? path = null) => new(Name, Pid, path);

    /// <summary>The host-side upper dir of an overlaid directory: what the node wrote there.</summary>
    public string Upper(string dir) => Path.Combine(Dir, "ovl", dir.Trim('/').Replace('/', '_'), "upper");

    public static async Task<NamespaceNode> StartAsync(string name, Options options)
    {
        string dir = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var setup = new StringBuilder("set -e\n");
        setup.Append("hostname ").Append(name).Append('\n');
        setup.Append("ip link set lo up 2>/dev/null || true\n");
        foreach (var d in options.Overlays)
        {
            string n = d.Trim('/').Replace('/', '_');
            string u = $"{dir}/ovl/{n}/upper", w = $"{dir}/ovl/{n}/work";
            setup.Append($"mkdir -p '{u}' '{w}' && chmod --reference='{d}' '{u}' && chown --reference='{d}' '{u}'\n");
            setup.Append($"mount -t overlay kubeps-test-ovl -o 'lowerdir={d},upperdir={u},workdir={w}' '{d}'\n");
        }
        if (options.PrivateRun) setup.Append("mount -t tmpfs -o mode=755 kubeps-test-run /run\n");
        setup.Append(options.Setup).Append('\n');
        setup.Append("echo READY\nexec sleep infinity\n");

        var psi = new ProcessStartInfo("unshare")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--net", "--mount", "--uts", "--propagation", "private", "--", "bash", "-c", setup.ToString() })
            psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        var p = Process.Start(psi)!;
        var errors = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line = await p.StandardOutput.ReadLineAsync(cts.Token);
        if (line != "READY")
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await p.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
            throw new InvalidOperationException($"namespace node {name} did not start: {line} {await errors}");
        }
        return new NamespaceNode(name, dir, p);
    }

    public async ValueTask DisposeAsync()
    {
        try { _holder.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _holder.WaitForExitAsync();
        _holder.Dispose();
        // The overlays lived only in the node's mount namespace, which is gone with its last process.
        for (int i = 0; i < 20; i++)
        {
            try { Directory.Delete(Dir, recursive: true); break; }
            catch (IOException) { await Task.Delay(100); }
            catch (UnauthorizedAccessException) { await Task.Delay(100); }
        }
    }
}
