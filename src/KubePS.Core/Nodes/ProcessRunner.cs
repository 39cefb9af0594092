using System.Diagnostics;

namespace KubePS.Core.Nodes;

/// <summary>What a finished (or killed) local process left behind.</summary>
internal sealed record ProcessOutcome(int ExitCode, byte[] StandardOutput, string StandardError, TimeSpan Duration, bool TimedOut);

/// <summary>
/// Runs a local program (ssh, bash, sudo) without a shell: arguments go through ProcessStartInfo.ArgumentList, the
/// payload through standard input. The timeout is enforced here: the process tree is killed when it runs out.
/// </summary>
internal static class ProcessRunner
{
    /// <summary>How long to keep reading stdout/stderr after the process exited (a forked child could hold the pipes).</summary>
    static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    public static async Task<ProcessOutcome> RunAsync(string fileName, IEnumerable<string> arguments,
        Func<Stream, CancellationToken, Task>? writeInput, TimeSpan timeout, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment)
            {
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
            }

        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KubeException("Node.ProgramNotFound", $"Cannot start '{fileName}': {e.Message}.", KubeErrorCategory.ResourceUnavailable,
                fileName, $"Install {fileName} (on Debian/Ubuntu: apt-get install openssh-client for ssh) and make sure it is on PATH.", e);
        }

        var stdout = new Collector(process.StandardOutput.BaseStream);
        var stderr = new Collector(process.StandardError.BaseStream);
        var stdin = Task.Run(async () =>
        {
            var input = process.StandardInput.BaseStream;
            try
            {
                if (writeInput is not null) await writeInput(input, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException) { /* the process exited before reading all of it (e.g. ssh failed to connect) */ }
            catch (ObjectDisposedException) { }
            finally
            {
                try { input.Close(); } catch (IOException) { } catch (ObjectDisposedException) { }
            }
        }, CancellationToken.None);

        bool timedOut = false;
        using (var timeoutCts = new CancellationTokenSource(timeout))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutCts.Token, cancellationToken))
        {
            try
            {
                await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                timedOut = !cancellationToken.IsCancellationRequested;
                try { await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
                catch (TimeoutException) { }
            }
        }

        // Normally both pipes reach end of file when the process exits. If a forked child still holds them, take what
        // arrived within the grace period rather than wait for that child.
        var streams = Task.WhenAll(stdout.Completion, stderr.Completion, stdin);
        await Task.WhenAny(streams, Task.Delay(DrainGrace, CancellationToken.None)).ConfigureAwait(false);

        cancellationToken.ThrowIfCancellationRequested();
        var exit = process.HasExited ? process.ExitCode : -1;
        return new ProcessOutcome(exit, stdout.Snapshot(), System.Text.Encoding.UTF8.GetString(stderr.Snapshot()), clock.Elapsed, timedOut);
    }

    static void Kill(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { /* already gone */ }
        catch (System.ComponentModel.Win32Exception) { }
    }

    /// <summary>Reads a stream to its end in the background; the bytes so far can be taken at any time.</summary>
    sealed class Collector
    {
        readonly MemoryStream _buffer = new();
        readonly object _gate = new();

        public Collector(Stream stream) => Completion = Task.Run(() => PumpAsync(stream));

        public Task Completion { get; }

        public byte[] Snapshot()
        {
            lock (_gate) return _buffer.ToArray();
        }

        async Task PumpAsync(Stream stream)
        {
            var chunk = new byte[81920];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
                    lock (_gate) _buffer.Write(chunk, 0, n);
            }
            catch (IOException) { }
            catch (ObjectDisposedException) { }
        }
    }
}
