using KubePS.Core.Nodes;
using KubePS.Core.Operations;

namespace KubePS.Core.Preparation;

/// <summary>
/// What a step did on a node: Changed, Unchanged, Skipped (declined by -WhatIf/-Confirm), or Recorded (a dry run wrote
/// the step's files to its folder and its commands to commands.sh; nothing ran on a node, so whether the node would
/// change is not known).
/// </summary>
public enum PreparationStatus { Changed, Unchanged, Skipped, Recorded }

/// <summary>The outcome of one plan step on one node: changed (with what changed), unchanged, skipped (declined by -WhatIf/-Confirm) or recorded (dry run).</summary>
public sealed class KubePreparationResult
{
    public KubePreparationResult(string hostName, string plan, string step, string description, PreparationStatus status,
        IReadOnlyList<string> changes, IReadOnlyList<string> notes)
    {
        HostName = hostName; Plan = plan; Step = step; Description = description; Status = status; Changes = changes; Notes = notes;
    }

    public string HostName { get; }
    public string Plan { get; }
    public string Step { get; }
    public string Description { get; }
    public PreparationStatus Status { get; }
    /// <summary>Each change made (a file written, a command that changed something); for a dry run, the files written to the dry-run folder.</summary>
    public IReadOnlyList<string> Changes { get; }
    /// <summary>Things the step could not do and left to the user (e.g. no systemd to enable a unit with).</summary>
    public IReadOnlyList<string> Notes { get; }
    public bool Changed => Status == PreparationStatus.Changed;

    public override string ToString() => $"{HostName}: {Step}: {Status}{(Changes.Count > 0 ? " (" + string.Join("; ", Changes) + ")" : "")}";
}

/// <summary>
/// Applies a <see cref="NodePlan"/> over a node transport: asks <see cref="IOperationSink.ShouldChangeAsync"/> for each
/// step, writes the approved steps' files in one batch, runs their fragments in one script, and reports per step what
/// changed. The same plan applied twice reports nothing changed the second time. Over a dry-run transport, file
/// changes are those of the dry-run folder (Created, Updated, Unchanged as the transport reports them) and the script is
/// recorded, not run: every approved step is then <see cref="PreparationStatus.Recorded"/>.
/// </summary>
public static class NodePlanApplier
{
    public static async Task<IReadOnlyList<KubePreparationResult>> ApplyAsync(KubeNodeSession session, NodePlan plan, IOperationSink sink, CancellationToken cancellationToken)
    {
        var results = await ApplyAsync(session.Transport, plan, sink, cancellationToken).ConfigureAwait(false);
        if (results.Any(r => r.Changed)) session.Facts = null; // the node changed: its cached facts are stale
        return results;
    }

    public static async Task<IReadOnlyList<KubePreparationResult>> ApplyAsync(INodeTransport transport, NodePlan plan, IOperationSink sink, CancellationToken cancellationToken)
    {
        string host = transport.HostName;
        var approved = new List<PlanStep>();
        foreach (var step in plan.Steps)
            if (await sink.ShouldChangeAsync(host, $"{step.Id}: {step.Description}", cancellationToken).ConfigureAwait(false))
                approved.Add(step);
        var skipped = plan.Steps.Where(s => !approved.Contains(s))
            .Select(s => new KubePreparationResult(host, plan.Name, s.Id, s.Description, PreparationStatus.Skipped, [], [])).ToList();
        if (approved.Count == 0) return skipped;

        var changes = approved.ToDictionary(s => s.Id, _ => new List<string>());
        var notes = approved.ToDictionary(s => s.Id, _ => new List<string>());
        var files = approved.SelectMany(s => s.Files).ToList();
        var changedFiles = new List<string>();
        if (files.Count > 0)
        {
            var written = await transport.WriteFilesAsync(files, cancellationToken).ConfigureAwait(false);
            foreach (var w in written.Where(w => w.Change != FileChange.Unchanged))
            {
                changedFiles.Add(w.Path);
                var owner = approved.First(s => s.Files.Any(f => f.Path == w.Path));
                string what = $"{(w.Change == FileChange.Created ? "created" : "updated")} {w.Path} ({w.Mode})";
                changes[owner.Id].Add(what);
                sink.WriteVerbose($"{host}: {owner.Id}: {what}");
            }
        }

        string script = plan.RenderScript(approved, changedFiles);
        sink.WriteVerbose($"{host}: running {plan.Name} ({string.Join(", ", approved.Select(s => s.Id))})");
        var result = await transport.RunAsync(script, plan.Timeout, cancellationToken).ConfigureAwait(false);
        if (result.Recorded)
        {
            sink.WriteVerbose($"{host}: dry run: {plan.Name} recorded, not run");
            var recorded = approved.Select(s => new KubePreparationResult(host, plan.Name, s.Id, s.Description, PreparationStatus.Recorded, changes[s.Id], [])).ToList();
            return plan.Steps.Select(s => recorded.FirstOrDefault(r => r.Step == s.Id) ?? skipped.First(r => r.Step == s.Id)).ToList();
        }
        string? failed = null;
        bool done = false;
        foreach (var line in result.Output.Replace("\r\n", "\n").Split('\n'))
        {
            if (line == "kubeps.done=1") { done = true; continue; }
            if (!line.StartsWith("kubeps.", StringComparison.Ordinal)) continue;
            int eq = line.IndexOf('='), bar = line.IndexOf('|');
            if (eq < 0 || bar < eq) continue;
            string kind = line[..eq], step = line[(eq + 1)..bar], text = line[(bar + 1)..];
            switch (kind)
            {
                case "kubeps.changed" when changes.TryGetValue(step, out var list):
                    list.Add(text);
                    sink.WriteVerbose($"{host}: {step}: {text}");
                    break;
                case "kubeps.note" when notes.TryGetValue(step, out var n):
                    n.Add(text);
                    sink.WriteWarning($"{host}: {step}: {text}");
                    break;
                case "kubeps.failed":
                    failed = step;
                    break;
            }
        }
        if (!result.Succeeded || !done)
        {
            string made = string.Join("; ", changes.Where(c => c.Value.Count > 0).Select(c => $"{c.Key}: {string.Join(", ", c.Value)}"));
            throw new KubeException("Preparation.StepFailed",
                $"{host}: {plan.Name} step {failed ?? "(script)"} failed (exit code {result.ExitCode}): {NodeProbe.Tail(result.Error)}"
                + (made.Length > 0 ? $" Changes made before the failure: {made}." : ""),
                KubeErrorCategory.InvalidOperation, host, "Fix the cause shown and run the command again; every step is safe to repeat.");
        }

        var results = approved.Select(s => new KubePreparationResult(host, plan.Name, s.Id, s.Description,
            changes[s.Id].Count > 0 ? PreparationStatus.Changed : PreparationStatus.Unchanged, changes[s.Id], notes[s.Id])).ToList();
        return plan.Steps.Select(s => results.FirstOrDefault(r => r.Step == s.Id) ?? skipped.First(r => r.Step == s.Id)).ToList();
    }
}
