using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using KubePS.Core.Workflows.Init;

namespace KubePS;

/// <summary>Completes -Phase and -SkipPhase of Initialize-KubeControlPlane with kubeadm's init phase names and their groups.</summary>
public sealed class InitPhaseCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var names = InitWorkflow.PhaseNames;
        var groups = names.Where(n => n.Contains('/')).Select(n => n[..n.IndexOf('/')]).Distinct();
        var word = wordToComplete.Trim('\'', '"');
        foreach (var name in groups.Concat(names).Distinct().Where(n => n.StartsWith(word, StringComparison.OrdinalIgnoreCase)))
            yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, name);
    }
}
