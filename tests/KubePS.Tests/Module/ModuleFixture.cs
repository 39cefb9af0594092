using System.Xml.Linq;
using KubePS.HelpGen;

namespace KubePS.Tests.Module;

/// <summary>The built module (out/KubePS) read through MetadataLoadContext, once for all surface tests.</summary>
public sealed class ModuleFixture : IDisposable
{
    public ModuleFixture()
    {
        Dir = Repo.ModuleDir;
        if (!File.Exists(Path.Combine(Dir, "KubePS.dll")))
            throw new InvalidOperationException($"The module is not built at {Dir}: run `dotnet build KubePS.sln` first.");
        Reader = new CmdletMetadataReader(Path.Combine(Dir, "KubePS.dll"));
        Cmdlets = Reader.ReadCmdlets();
        Maml = XDocument.Load(Path.Combine(Dir, "en-US", "KubePS.dll-Help.xml"));
        Format = XDocument.Load(Path.Combine(Dir, "KubePS.format.ps1xml"));
        Manifest = File.ReadAllText(Path.Combine(Dir, "KubePS.psd1"));
    }

    public string Dir { get; }
    public CmdletMetadataReader Reader { get; }
    public IReadOnlyList<CmdletData> Cmdlets { get; }
    public XDocument Maml { get; }
    public XDocument Format { get; }
    public string Manifest { get; }

    public CmdletData? Find(string name) => Cmdlets.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>A type by full name from KubePS.dll, KubePS.Core.dll or the framework, in the fixture's load context.</summary>
    public Type? Type(string fullName) => Reader.FindType(fullName);

    public void Dispose() => Reader.Dispose();
}
