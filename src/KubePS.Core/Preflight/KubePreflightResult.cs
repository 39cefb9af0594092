namespace KubePS.Core.Preflight;

/// <summary>How bad a failed check is: an error stops init/join (unless ignored); a warning does not.</summary>
public enum PreflightSeverity { Error, Warning }

/// <summary>
/// The result of one kubeadm preflight check on one node. <see cref="Severity"/> is the effective one: an ignored
/// error is reported as a warning with <see cref="Ignored"/> set, as kubeadm prints it.
/// </summary>
public sealed class KubePreflightResult
{
    public KubePreflightResult(string hostName, string check, PreflightSeverity severity, bool passed, string message,
        string? remedy, bool ignored, string? fixStep)
    {
        HostName = hostName; Check = check; Severity = severity; Passed = passed; Message = message;
        Remedy = remedy; Ignored = ignored; FixStep = fixStep;
    }

    /// <summary>The node (binds -HostName by property name).</summary>
    public string HostName { get; }
    /// <summary>kubeadm's name for the check, as --ignore-preflight-errors takes it (Port-6443, Swap, ...).</summary>
    public string Check { get; }
    public PreflightSeverity Severity { get; }
    public bool Passed { get; }
    /// <summary>What was found (for a passed check, what was checked).</summary>
    public string Message { get; }
    /// <summary>What to do about a failure.</summary>
    public string? Remedy { get; }
    /// <summary>The check failed but its name is in IgnorePreflightErrors (its errors count as warnings).</summary>
    public bool Ignored { get; }
    /// <summary>The preparation step that fixes this failure automatically (-Fix), if there is a safe one.</summary>
    public string? FixStep { get; }

    /// <summary>Failed with an error that is not ignored: init/join would stop here.</summary>
    public bool Blocking => !Passed && Severity == PreflightSeverity.Error;

    /// <summary>Passed, Warning, Error or Ignored, for tables.</summary>
    public string Status => Passed ? "Passed" : Ignored ? "Ignored" : Severity.ToString();

    /// <summary>The line kubeadm would print: [ERROR Port-6443]: ... / [WARNING Swap]: ...</summary>
    public override string ToString() => Passed ? $"{HostName}: [OK {Check}]" : $"{HostName}: [{(Severity == PreflightSeverity.Error ? "ERROR" : "WARNING")} {Check}]: {Message}";
}

/// <summary>All preflight results of one node.</summary>
public sealed class KubePreflightReport
{
    public KubePreflightReport(string hostName, IReadOnlyList<KubePreflightResult> results)
    {
        HostName = hostName; Results = results;
    }

    public string HostName { get; }
    public IReadOnlyList<KubePreflightResult> Results { get; }
    public IEnumerable<KubePreflightResult> Errors => Results.Where(r => r.Blocking);
    public IEnumerable<KubePreflightResult> Warnings => Results.Where(r => !r.Passed && r.Severity == PreflightSeverity.Warning);
    /// <summary>No blocking error: init/join may go on.</summary>
    public bool Passed => !Results.Any(r => r.Blocking);

    /// <summary>The error to report for a failed node: Preflight.Failed with the failed checks' names.</summary>
    public KubeException ToException()
    {
        var names = Errors.Select(e => e.Check).ToList();
        return new KubeException("Preflight.Failed",
            $"{HostName}: preflight found {names.Count} error(s): {string.Join("; ", Errors.Select(e => $"[{e.Check}] {e.Message}"))}",
            KubeErrorCategory.InvalidOperation, HostName,
            $"Fix them (Invoke-KubePreflight -Fix fixes some), or if you know what you are doing ignore them with -IgnorePreflightErrors {string.Join(",", names)}.");
    }

    public override string ToString() => $"{HostName}: {Results.Count} checks, {Errors.Count()} errors, {Warnings.Count()} warnings";
}
