using System.Reflection;
using System.Runtime.InteropServices;

namespace KubePS.HelpGen;

[AttributeUsage(AttributeTargets.Assembly)]
public sealed class SmaPathAttribute(string path) : Attribute { public string Path { get; } = path; }

/// <summary>One [Parameter] attribute of a cmdlet parameter (a parameter has one per parameter set).</summary>
public sealed record ParameterSetUse(string SetName, bool Mandatory, int Position, bool ValueFromPipeline, bool ValueFromPipelineByPropertyName);

public sealed record ParameterInfoData(string Name, string TypeName, string TypeDisplay, bool IsSwitch,
    IReadOnlyList<string> Aliases, IReadOnlyList<ParameterSetUse> Sets, IReadOnlyList<string> ValidateSet, string DeclaringType);

public sealed record CmdletData(string Verb, string Noun, string ClassName, bool SupportsShouldProcess, string? ConfirmImpact,
    string? DefaultParameterSetName, IReadOnlyList<string> OutputTypes, IReadOnlyList<ParameterInfoData> Parameters)
{
    public string Name => $"{Verb}-{Noun}";
    public const string AllSets = "__AllParameterSets";

    public IReadOnlyList<string> ParameterSetNames
    {
        get
        {
            var named = Parameters.SelectMany(p => p.Sets).Select(s => s.SetName).Where(n => n != AllSets).Distinct().ToList();
            return named.Count == 0 ? [AllSets] : named;
        }
    }

    /// <summary>The parameters usable in a set, with their attribute for that set.</summary>
    public IEnumerable<(ParameterInfoData Parameter, ParameterSetUse Use)> InSet(string set) =>
        Parameters.SelectMany(p => p.Sets.Where(s => s.SetName == set || s.SetName == AllSets).Take(1).Select(s => (p, s)));
}

/// <summary>
/// Reads the cmdlets of a built KubePS.dll with MetadataLoadContext (no PowerShell, no loading into this process),
/// from the attribute data, which is correct even where PowerShellStandard's stub assembly is hollow.
/// </summary>
public sealed class CmdletMetadataReader : IDisposable
{
    readonly MetadataLoadContext _mlc;
    readonly Assembly _module;

    public CmdletMetadataReader(string moduleDllPath, IEnumerable<string>? extraSearchDirs = null)
    {
        var dirs = new List<string> { Path.GetDirectoryName(Path.GetFullPath(moduleDllPath))!, RuntimeEnvironment.GetRuntimeDirectory() };
        var dep = Path.Combine(dirs[0], "Dependencies");
        if (Directory.Exists(dep)) dirs.Add(dep);
        if (extraSearchDirs is not null) dirs.AddRange(extraSearchDirs);
        var files = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in dirs)
            foreach (var f in Directory.EnumerateFiles(d, "*.dll"))
                files.TryAdd(Path.GetFileNameWithoutExtension(f), f);
        var sma = typeof(CmdletMetadataReader).Assembly.GetCustomAttribute<SmaPathAttribute>()?.Path;
        if (sma is not null && File.Exists(sma)) files["System.Management.Automation"] = sma;
        _mlc = new MetadataLoadContext(new PathAssemblyResolver(files.Values), "System.Private.CoreLib");
        _module = _mlc.LoadFromAssemblyPath(Path.GetFullPath(moduleDllPath));
    }

    public Assembly Module => _module;

    public Type? FindType(string fullName)
    {
        foreach (var asm in new[] { _module }.Concat(_module.GetReferencedAssemblies().Select(TryLoad).Where(a => a is not null)!))
        {
            var t = asm!.GetType(fullName);
            if (t is not null) return t;
        }
        return null;
    }

    Assembly? TryLoad(AssemblyName n) { try { return _mlc.LoadFromAssemblyName(n); } catch { return null; } }

    public IReadOnlyList<CmdletData> ReadCmdlets()
    {
        var result = new List<CmdletData>();
        foreach (var type in _module.GetTypes().Where(t => t.IsPublic && !t.IsAbstract).OrderBy(t => t.FullName))
        {
            var cmdletAttr = type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
            if (cmdletAttr is null) continue;
            string verb = (string)cmdletAttr.ConstructorArguments[0].Value!;
            string noun = (string)cmdletAttr.ConstructorArguments[1].Value!;
            bool sps = Named<bool>(cmdletAttr, "SupportsShouldProcess");
            string? impact = cmdletAttr.NamedArguments.Where(n => n.MemberName == "ConfirmImpact").Select(n => Enum.GetName(typeof(ConfirmImpactMirror), (int)n.TypedValue.Value!)).FirstOrDefault();
            string? defaultSet = cmdletAttr.NamedArguments.Where(n => n.MemberName == "DefaultParameterSetName").Select(n => (string?)n.TypedValue.Value).FirstOrDefault();

            var outputs = new List<string>();
            foreach (var ot in type.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute"))
                foreach (var arg in ot.ConstructorArguments)
                {
                    if (arg.Value is Type t) outputs.Add(t.FullName!);
                    else if (arg.Value is IEnumerable<CustomAttributeTypedArgument> many)
                        outputs.AddRange(many.Select(m => m.Value is Type mt ? mt.FullName! : m.Value?.ToString() ?? ""));
                    else if (arg.Value is string s) outputs.Add(s);
                }

            var parameters = new List<ParameterInfoData>();
            foreach (var prop in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var uses = prop.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute").ToList();
                if (uses.Count == 0) continue;
                var sets = uses.Select(u => new ParameterSetUse(
                    Named<string>(u, "ParameterSetName") ?? CmdletData.AllSets,
                    Named<bool>(u, "Mandatory"),
                    u.NamedArguments.Any(n => n.MemberName == "Position") ? Named<int>(u, "Position") : int.MinValue,
                    Named<bool>(u, "ValueFromPipeline"),
                    Named<bool>(u, "ValueFromPipelineByPropertyName"))).ToList();
                var aliases = prop.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.AliasAttribute")
                    .SelectMany(a => a.ConstructorArguments.SelectMany(Strings)).ToList();
                var validateSet = prop.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.ValidateSetAttribute")
                    .SelectMany(a => a.ConstructorArguments.SelectMany(Strings)).ToList();
                var pt = prop.PropertyType;
                bool isSwitch = pt.FullName == "System.Management.Automation.SwitchParameter";
                parameters.Add(new ParameterInfoData(prop.Name, TypeName(pt), DisplayName(pt), isSwitch, aliases, sets, validateSet, prop.DeclaringType!.FullName!));
            }
            result.Add(new CmdletData(verb, noun, type.FullName!, sps, impact, defaultSet, outputs, parameters));
        }
        return result;
    }

    static IEnumerable<string> Strings(CustomAttributeTypedArgument a) =>
        a.Value is IEnumerable<CustomAttributeTypedArgument> many ? many.Select(m => m.Value?.ToString() ?? "") : [a.Value?.ToString() ?? ""];

    static T? Named<T>(CustomAttributeData a, string name)
    {
        foreach (var n in a.NamedArguments)
            if (n.MemberName == name) return (T?)n.TypedValue.Value;
        return default;
    }

    static string TypeName(Type t)
    {
        var nullable = Nullable(t);
        return nullable is not null ? nullable.FullName! : t.FullName ?? t.Name;
    }

    static Type? Nullable(Type t) => t.IsGenericType && t.GetGenericTypeDefinition().FullName == "System.Nullable`1" ? t.GetGenericArguments()[0] : null;

    /// <summary>PowerShell's short display of a type: String, KubeImage[], SwitchParameter.</summary>
    static string DisplayName(Type t)
    {
        var n = Nullable(t);
        if (n is not null) t = n;
        if (t.IsArray) return DisplayName(t.GetElementType()!) + "[]";
        return t.FullName switch
        {
            "System.String" => "String",
            "System.Int32" => "Int32",
            "System.Boolean" => "Boolean",
            _ => t.Name,
        };
    }

    public void Dispose() => _mlc.Dispose();

    enum ConfirmImpactMirror { None, Low, Medium, High }
}
