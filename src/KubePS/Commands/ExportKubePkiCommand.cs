using System.Management.Automation;
using KubePS.Core.Pki;

namespace KubePS.Commands;

/// <summary>Writes a certificate set to a folder with kubeadm's file names and modes.</summary>
/// <remarks>
/// <para>Export-KubePki writes each certificate as &lt;name&gt;.crt (mode 0644) and its key as &lt;name&gt;.key (0600), etcd files under etcd/, and sa.key and sa.pub (0600), creating folders with mode 0755. Each file is created with its final mode and renamed into place, so a key is never readable by others, even briefly.</para>
/// <para>Files that already hold the same bytes are left alone. If the folder holds a different file of the same name, nothing is written and the error Pki.FileExists names the files, unless -Force is given. Written files are returned as FileInfo objects.</para>
/// </remarks>
/// <example>
/// <code>New-KubePki -NodeName cp1 -AdvertiseAddress 10.0.0.11 | Export-KubePki -Path ./pki</code>
/// <para>Makes a node's certificates and writes them to ./pki.</para>
/// </example>
/// <example>
/// <code>Import-KubePki -Path /etc/kubernetes/pki | Export-KubePki -Path ./backup -WhatIf</code>
/// <para>Shows which files a backup of a node's certificates would write, without writing them.</para>
/// </example>
[Cmdlet(VerbsData.Export, "KubePki", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportKubePkiCommand : KubeCmdlet
{
    /// <summary>
    /// <para>The certificate set, from New-KubePki or Import-KubePki.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public KubePki Pki { get; set; } = null!;

    /// <summary>
    /// <para>The folder to write to (the node's certificatesDir layout, e.g. ./pki). It is created if missing.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    /// <summary>
    /// <para>Overwrites files that hold different content.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var folder = CommandArgs.FullPath(this, Path);
        Run(async (sink, ct) =>
        {
            var changes = Pki.GetChanges(folder);
            if (changes.Count == 0)
            {
                sink.WriteVerbose($"{folder}: every file is already up to date");
                return;
            }
            if (!await sink.ShouldChangeAsync(folder, $"Write {changes.Count} files ({string.Join(", ", changes.Select(c => c.RelativePath))})", ct))
                return;
            foreach (var path in Pki.Export(folder, Force))
            {
                sink.WriteVerbose($"wrote {path}");
                sink.WriteObject(new FileInfo(path));
            }
        });
    }
}
