using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace KubePS.Loader;

/// <summary>
/// Imported as a nested module before KubePS.dll (shared/powershell-facts.md §1): it makes the default load context
/// resolve KubePS.Core from a private context that holds KubePS.Core and YamlDotNet from Dependencies/, so another
/// module's YamlDotNet can neither break KubePS nor be broken by it. It must not reference KubePS.Core.
/// </summary>
public sealed class KubePSLoader : IModuleAssemblyInitializer
{
    static readonly string DependencyDir =
        Path.Combine(Path.GetDirectoryName(typeof(KubePSLoader).Assembly.Location)!, "Dependencies");

    static readonly PrivateContext Context = new(DependencyDir);
    static int _hooked;

    /// <summary>Runs on every import and in every runspace: hook once per process and never unhook.</summary>
    public void OnImport()
    {
        if (Interlocked.Exchange(ref _hooked, 1) == 0)
            AssemblyLoadContext.Default.Resolving += (_, name) =>
                name.Name == "KubePS.Core" ? Context.LoadFromAssemblyName(name) : null;
    }

    sealed class PrivateContext(string dir) : AssemblyLoadContext("KubePS")
    {
        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(dir, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null; // null: fall back to the default context
        }
    }
}
