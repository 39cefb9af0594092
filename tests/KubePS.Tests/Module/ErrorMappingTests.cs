using System.Reflection;
using KubePS.Core;
using Xunit;

namespace KubePS.Tests.Module;

/// <summary>
/// KubeCmdlet maps KubeErrorCategory to PowerShell's ErrorCategory by name. The test reads PowerShell's enum from
/// the metadata (the stub System.Management.Automation in a test process is hollow, so its objects can't be asserted).
/// </summary>
public sealed class ErrorMappingTests(ModuleFixture module) : IClassFixture<ModuleFixture>
{
    [Fact]
    public void Every_Core_error_category_has_a_PowerShell_ErrorCategory_of_the_same_name()
    {
        var psEnum = module.Type("System.Management.Automation.ErrorCategory")!;
        var names = psEnum.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => f.Name).ToHashSet();
        foreach (var c in Enum.GetNames<KubeErrorCategory>())
            Assert.True(names.Contains(c), $"KubeErrorCategory.{c} has no ErrorCategory.{c}: it would be reported as NotSpecified");
    }

    [Fact]
    public void KubeException_exposes_no_property_that_could_carry_a_secret()
    {
        // Get-Error lists every public property of the exception (powershell-facts §9).
        var props = typeof(KubeException).GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Select(p => p.Name).OrderBy(x => x);
        Assert.Equal(new[] { "Category", "ErrorId", "RecommendedAction", "Target" }, props);
    }
}
