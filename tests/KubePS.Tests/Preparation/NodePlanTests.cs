using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;
using KubePS.Tests.Preflight.Support;
using Xunit;

namespace KubePS.Tests.Preparation;

/// <summary>The plan script's protocol, run with real bash: changed files, per-step reports, failures, stdin isolation.</summary>
public sealed class NodePlanTests
{
    static NodePlan Plan(params PlanStep[] steps) => new("local", "test", steps, TimeSpan.FromMinutes(1));

    [Fact]
    public async Task Steps_see_which_files_the_batch_changed_and_report_their_own_changes()
    {
        var plan = Plan(
            new PlanStep("a/one", "first", [], "file_changed /etc/x.conf && changed \"x changed\"\nfile_changed /etc/y.conf && changed \"y changed\"\ntrue"),
            new PlanStep("a/two", "second", [], "note \"left to you\""));
        var r = await new LocalBashTransport("local").RunAsync(plan.RenderScript(plan.Steps, ["/etc/x.conf"]), null, default);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["kubeps.changed=a/one|x changed", "kubeps.note=a/two|left to you", "kubeps.done=1"], r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_failing_command_stops_its_step_and_the_script_under_set_e()
    {
        var plan = Plan(
            new PlanStep("a/one", "first", [], "false\nchanged \"not reached\""),
            new PlanStep("a/two", "second", [], "changed \"not run\""));
        var r = await new LocalBashTransport("local").RunAsync(plan.RenderScript(plan.Steps, []), null, default);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Equal(["kubeps.failed=a/one|1"], r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_command_reading_stdin_cannot_swallow_the_rest_of_the_script()
    {
        var plan = Plan(new PlanStep("a/one", "reads stdin", [], "cat > /dev/null"), new PlanStep("a/two", "after", [], "changed \"still ran\""));
        var r = await new LocalBashTransport("local").RunAsync(plan.RenderScript(plan.Steps, []), null, default);
        Assert.Contains("kubeps.changed=a/two|still ran", r.Output);
        Assert.Contains("kubeps.done=1", r.Output);
    }

    [Fact]
    public void A_plan_may_not_write_one_path_twice()
    {
        var f = NodeFile.Text("/etc/x", "1");
        Assert.Throws<ArgumentException>(() => Plan(new PlanStep("a", "a", [f], ""), new PlanStep("b", "b", [NodeFile.Text("/etc/x", "2")], "")));
    }

    [Fact]
    public void Selecting_an_unknown_step_names_the_steps_there_are()
    {
        var e = Assert.Throws<KubeException>(() => Plan(new PlanStep("a/one", "x", [], "")).Only(["a/zero"]));
        Assert.Equal("Preparation.UnknownStep", e.ErrorId);
        Assert.Contains("a/one", e.Message);
    }
}
