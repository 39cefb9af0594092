using System.Text;
using KubePS.Core.Nodes;

namespace KubePS.Core.Preparation;

/// <summary>
/// One change a plan makes: an id (prerequisites/swap), a description a person reads (what -WhatIf shows), the files
/// it puts on the node and an idempotent bash fragment. The fragment runs under <c>set -e</c> in a subshell, reports
/// each change it makes with <c>changed "what"</c> and sends command output to stderr, so that a second run prints nothing.
/// </summary>
public sealed class PlanStep
{
    public PlanStep(string id, string description, IReadOnlyList<NodeFile> files, string script)
    {
        Id = id; Description = description; Files = files; Script = Bash.Lf(script);
    }

    public string Id { get; }
    public string Description { get; }
    public IReadOnlyList<NodeFile> Files { get; }
    public string Script { get; }

    public override string ToString() => $"{Id}: {Description}";
}

/// <summary>
/// A rendered preparation plan for one node: its steps, in order. Render, then apply: <see cref="NodePlanApplier"/>
/// writes the approved steps' files in one batch and runs their fragments in one script.
/// </summary>
public sealed class NodePlan
{
    public NodePlan(string hostName, string name, IReadOnlyList<PlanStep> steps, TimeSpan timeout, string? prologue = null)
    {
        var duplicate = steps.GroupBy(s => s.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"plan {name} has step {duplicate.Key} twice", nameof(steps));
        var file = steps.SelectMany(s => s.Files).GroupBy(f => f.Path).FirstOrDefault(g => g.Count() > 1);
        if (file is not null) throw new ArgumentException($"plan {name} writes {file.Key} twice", nameof(steps));
        HostName = hostName; Name = name; Steps = steps; Timeout = timeout; Prologue = Bash.Lf(prologue ?? "");
    }

    public string HostName { get; }
    /// <summary>prerequisites, container-runtime, kubernetes-packages, images, preflight-fix.</summary>
    public string Name { get; }
    public IReadOnlyList<PlanStep> Steps { get; }
    /// <summary>How long the script may run on the node.</summary>
    public TimeSpan Timeout { get; }
    /// <summary>Variables and functions the plan's fragments share (after the common library).</summary>
    public string Prologue { get; }

    public IEnumerable<NodeFile> Files => Steps.SelectMany(s => s.Files);

    public PlanStep Step(string id) => Steps.FirstOrDefault(s => s.Id == id)
        ?? throw new KubeException("Preparation.UnknownStep", $"plan {Name} has no step '{id}'; its steps are {string.Join(", ", Steps.Select(s => s.Id))}.",
            KubeErrorCategory.InvalidArgument, id, "Pick one of the listed steps.");

    /// <summary>A plan of only the given steps (in this plan's order).</summary>
    public NodePlan Only(IEnumerable<string> ids)
    {
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        foreach (var id in wanted) Step(id);
        return new NodePlan(HostName, Name, Steps.Where(s => wanted.Contains(s.Id)).ToList(), Timeout, Prologue);
    }

    /// <summary>
    /// The script for some of the steps. <paramref name="changedFiles"/> are the files the batch write just changed, so a
    /// fragment can react (<c>file_changed /etc/containerd/config.toml</c> → restart). The whole script is one function
    /// called with stdin from /dev/null, so no command can read the rest of the script from standard input.
    /// </summary>
    public string RenderScript(IEnumerable<PlanStep> steps, IEnumerable<string> changedFiles)
    {
        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n# KubePS plan ").Append(Name).Append(" for ").Append(Bash.OneLine(HostName)).Append('\n');
        sb.Append("kubeps_main() {\n");
        sb.Append("kubeps_changed_files=").Append(Bash.Quote("\n" + string.Concat(changedFiles.Select(f => f + "\n")))).Append('\n');
        sb.Append(Library);
        sb.Append(Prologue).Append('\n');
        foreach (var step in steps)
        {
            sb.Append("KUBEPS_STEP=").Append(Bash.Quote(step.Id)).Append('\n');
            sb.Append("(\nset -e\n").Append(step.Script.TrimEnd()).Append("\n)\n");
            sb.Append("rc=$?; if [ \"$rc\" -ne 0 ]; then printf 'kubeps.failed=%s|%s\\n' \"$KUBEPS_STEP\" \"$rc\"; return \"$rc\"; fi\n");
        }
        sb.Append("printf 'kubeps.done=1\\n'\n}\nkubeps_main </dev/null\n");
        return sb.ToString();
    }

    /// <summary>What the plan would do, for a review (one line per step and file).</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(HostName).Append(": ").Append(Name).Append('\n');
        foreach (var s in Steps)
        {
            sb.Append("  ").Append(s.Id).Append(": ").Append(s.Description).Append('\n');
            foreach (var f in s.Files) sb.Append("    file ").Append(f).Append('\n');
        }
        return sb.ToString();
    }

    public override string ToString() => $"{HostName}: {Name} ({Steps.Count} steps)";

    // Shared by every plan. changed/note print the protocol lines the applier reads; everything else goes to stderr.
    internal const string Library = """
        set -u
        export LC_ALL=C DEBIAN_FRONTEND=noninteractive
        KUBEPS_PM=none
        PATH="${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        KUBEPS_TMP=$(mktemp -d 2>/dev/null || echo /tmp/kubeps.$$)
        mkdir -p "$KUBEPS_TMP"
        trap 'rm -rf "$KUBEPS_TMP"' EXIT
        file_changed() { case "$kubeps_changed_files" in *$'\n'"$1"$'\n'*) return 0 ;; esac; return 1; }
        changed() { printf 'kubeps.changed=%s|%s\n' "$KUBEPS_STEP" "$*"; }
        note() { printf 'kubeps.note=%s|%s\n' "$KUBEPS_STEP" "$*"; }
        fail() { echo "$KUBEPS_STEP: $*" >&2; exit 1; }
        have() { command -v "$1" >/dev/null 2>&1; }
        fetch() {
          if have curl; then curl -fsSL --retry 3 --connect-timeout 20 -o "$2" "$1"
          elif have wget; then wget -q -T 20 -t 3 -O "$2" "$1"
          else fail "neither curl nor wget is installed to download $1"; fi
        }
        unit_exists() {
          local d
          for d in /etc/systemd/system /run/systemd/system /lib/systemd/system /usr/lib/systemd/system /usr/local/lib/systemd/system; do
            [ -e "$d/$1" ] && return 0
          done
          have systemctl && systemctl cat "$1" >/dev/null 2>&1
        }
        svc_enable() {
          if ! have systemctl; then note "no systemctl: enable $1 yourself"; return 0; fi
          systemctl is-enabled -q "$1" 2>/dev/null && return 0
          systemctl enable "$1" >&2; changed "enabled $1"
        }
        svc_start() {
          if ! have systemctl; then note "no systemctl: start $1 yourself"; return 0; fi
          systemctl is-active -q "$1" 2>/dev/null && return 0
          systemctl start "$1" >&2; changed "started $1"
        }
        svc_restart() {
          if ! have systemctl; then note "no systemctl: restart $1 yourself"; return 0; fi
          systemctl restart "$1" >&2; changed "restarted $1"
        }
        daemon_reload() { if have systemctl; then systemctl daemon-reload >&2 || true; fi; }
        pkg_refresh() {
          [ -e "$KUBEPS_TMP/refreshed" ] && return 0
          case "$KUBEPS_PM" in
            apt) apt-get update >&2 ;;
            dnf) dnf makecache >&2 ;;
            yum) yum makecache >&2 ;;
          esac
          touch "$KUBEPS_TMP/refreshed"
        }
        pkg_install() {
          case "$KUBEPS_PM" in
            apt) pkg_refresh; apt-get install -y -o Dpkg::Options::=--force-confold "$@" >&2 ;;
            dnf) dnf install -y "$@" >&2 ;;
            yum) yum install -y "$@" >&2 ;;
            *) fail "no supported package manager (apt, dnf or yum) to install $*" ;;
          esac
        }

        """;
}
