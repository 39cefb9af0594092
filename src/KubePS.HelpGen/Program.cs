using KubePS.HelpGen;

// Build-time tool for the module layout (called by src/KubePS.Module):
//   KubePS.HelpGen help <KubePS.dll> <KubePS.xml> <out KubePS.dll-Help.xml>   MAML help from attributes + doc comments
//   KubePS.HelpGen stamp <KubePS.psd1> <out KubePS.psd1> <version>            the manifest with the version filled in
if (args.Length == 4 && args[0] == "stamp")
{
    var text = File.ReadAllText(args[1]).Replace("$KubePSVersion$", args[3]);
    if (!File.Exists(args[2]) || File.ReadAllText(args[2]) != text) File.WriteAllText(args[2], text);
    return 0;
}
if (args.Length != 4 || args[0] != "help")
{
    Console.Error.WriteLine("usage: KubePS.HelpGen help <module dll> <doc xml> <output maml> | stamp <psd1> <out psd1> <version>");
    return 2;
}
using var reader = new CmdletMetadataReader(args[1]);
var docs = new DocComments([args[2]]);
var cmdlets = reader.ReadCmdlets();
var missing = new List<string>();
var items = new List<(CmdletData, CmdletHelp)>();
foreach (var c in cmdlets)
{
    var h = docs.For(c);
    if (string.IsNullOrWhiteSpace(h.Synopsis)) missing.Add($"{c.Name}: no synopsis (<summary> on {c.ClassName})");
    if (h.Examples.Count == 0) missing.Add($"{c.Name}: no <example>");
    foreach (var p in c.Parameters.Where(p => !h.Parameters.ContainsKey(p.Name) || h.Parameters[p.Name].Count == 0))
        missing.Add($"{c.Name}: parameter -{p.Name} has no description");
    items.Add((c, h));
}
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[3]))!);
MamlWriter.Write(items).Save(args[3]);
foreach (var m in missing) Console.Error.WriteLine($"warning KPSHELP: {m}");
Console.WriteLine($"KubePS.HelpGen: {items.Count} cmdlets -> {args[3]}");
return 0;
