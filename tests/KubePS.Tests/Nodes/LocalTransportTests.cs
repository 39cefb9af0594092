using System.Diagnostics;
using KubePS.Core;
using KubePS.Core.Nodes;
using Xunit;

namespace KubePS.Tests.Nodes;

/// <summary>
/// The local transport (kubeadm on the node itself): the same scripts and batched writes as over SSH, run here.
/// Writes go to a private temp directory, never to the machine's /etc. Judged with stat, id and plain file reads.
/// </summary>
public sealed class LocalTransportTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), $"kubeps-test-{Guid.NewGuid():N}");

    public LocalTransportTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string Stat(string format, string path)
    {
        var psi = new ProcessStartInfo("stat") { RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(format); psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return output;
    }

    static Task<KubeNodeSession> Open() => NodeSessionFactory.OpenAsync(new NodeSessionOptions { Local = true });

    [Fact]
    public async Task Local_scripts_run_as_root_on_this_machine()
    {
        var session = await Open();
        Assert.Equal(Environment.MachineName, session.HostName);
        var r = await session.RunAsync("id -u; hostname; exit 4");
        Assert.Equal(4, r.ExitCode);
        Assert.Equal($"0\n{Environment.MachineName}\n", r.Output);
    }

    [Fact]
    public async Task Local_write_replaces_a_file_by_rename_so_a_reader_sees_the_old_or_the_new_file_never_a_mix()
    {
        var session = await Open();
        var path = Path.Combine(_dir, "etc", "big.conf");
        byte[] Content(byte b) => Enumerable.Repeat(b, 1 << 20).ToArray();
        await session.WriteFilesAsync([new NodeFile(path, Content((byte)'A'))]);

        // A reader that opened the old file keeps reading the old bytes: the new file is a new inode renamed over it.
        await using (var old = new FileStream(path, FileMode.Open, FileAccess.Read))
        {
            var inode = Stat("%i", path);
            Assert.Equal(FileChange.Updated, (await session.WriteFilesAsync([new NodeFile(path, Content((byte)'B'))]))[0].Change);
            Assert.NotEqual(inode, Stat("%i", path));
            var buffer = new byte[1 << 20];
            old.ReadExactly(buffer);
            Assert.All(buffer, b => Assert.Equal((byte)'A', b));
        }

        // Readers racing with rewrites only ever see one whole version.
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var bytes = File.ReadAllBytes(path);
                Assert.Equal(1 << 20, bytes.Length);
                Assert.True(bytes.All(b => b == bytes[0]), "a read saw a mix of two versions");
                reads++;
            }
        });
        for (int i = 0; i < 10; i++)
            await session.WriteFilesAsync([new NodeFile(path, Content((byte)('C' + i % 2)))]);
        stop.Cancel();
        await reader;
        Assert.True(reads > 0);
    }

    [Fact]
    public async Task Local_write_applies_mode_and_owner_reports_unchanged_the_second_time_and_leaves_no_staging_files()
    {
        var session = await Open();
        var key = Path.Combine(_dir, "pki", "sa.key");
        var owned = Path.Combine(_dir, "owned", "data");
        NodeFile[] batch = [new NodeFile(key, [9, 9], 0b110_000_000), new NodeFile(owned, [1], 0b110_100_000, "nobody", "nogroup")];

        Assert.All(await session.WriteFilesAsync(batch), r => Assert.Equal(FileChange.Created, r.Change));
        Assert.Equal("600 root root", Stat("%a %U %G", key));
        Assert.Equal("640 nobody nogroup", Stat("%a %U %G", owned));
        Assert.Equal("755", Stat("%a", Path.GetDirectoryName(key)!));
        Assert.All(await session.WriteFilesAsync(batch), r => Assert.Equal(FileChange.Unchanged, r.Change));
        Assert.Empty(Directory.GetFiles(_dir, ".kubeps-*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_file_with_an_unknown_owner_fails_alone_with_Node_WriteFailed_and_the_rest_of_the_batch_lands()
    {
        var session = await Open();
        var good = Path.Combine(_dir, "good.conf");
        var bad = Path.Combine(_dir, "bad.conf");
        var e = await Assert.ThrowsAsync<KubeException>(() => session.WriteFilesAsync(
            [NodeFile.Text(good, "ok\n"), new NodeFile(bad, [1], 0b110_100_100, "no-such-user-kps", "root")]));
        Assert.Equal("Node.WriteFailed", e.ErrorId);
        Assert.Contains(bad, e.Message);
        Assert.DoesNotContain(good, e.Message);
        Assert.Equal("ok\n", File.ReadAllText(good));
        Assert.False(File.Exists(bad));
        Assert.Empty(Directory.GetFiles(_dir, ".kubeps-*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Writing_over_a_directory_is_Node_WriteFailed()
    {
        var session = await Open();
        Directory.CreateDirectory(Path.Combine(_dir, "taken"));
        var e = await Assert.ThrowsAsync<KubeException>(() => session.WriteFilesAsync([NodeFile.Text(Path.Combine(_dir, "taken"), "x")]));
        Assert.Equal("Node.WriteFailed", e.ErrorId);
        Assert.Contains("is a directory", e.Message);
    }

    [Fact]
    public async Task A_batch_naming_one_path_twice_is_refused_before_anything_is_written()
    {
        var session = await Open();
        var path = Path.Combine(_dir, "twice");
        var e = await Assert.ThrowsAsync<KubeException>(() => session.WriteFilesAsync([NodeFile.Text(path, "a"), NodeFile.Text(path, "b")]));
        Assert.Equal("Node.DuplicateFile", e.ErrorId);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task File_names_with_spaces_quotes_and_backslashes_are_written_compared_and_read_like_any_other()
    {
        var session = await Open();
        var odd = Path.Combine(_dir, "dir with space", "it's a \\ \"file\" $HOME *");
        NodeFile[] batch = [new NodeFile(odd, [1, 2, 3], 0b110_000_000)];
        Assert.Equal(FileChange.Created, (await session.WriteFilesAsync(batch))[0].Change);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(odd));
        Assert.Equal("600", Stat("%a", odd));
        Assert.Equal(FileChange.Unchanged, (await session.WriteFilesAsync(batch))[0].Change);
        Assert.Equal([1, 2, 3], (await session.ReadFilesAsync([odd]))[odd]);
    }
}
