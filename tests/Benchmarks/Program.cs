using BenchmarkDotNet.Running;

namespace KubePS.Benchmarks;

public static class Program
{
    /// <summary>
    /// <c>fleet-preflight [options]</c> runs the lab benchmark of preflight against Ansible (FleetPreflightBenchmark);
    /// <c>join-workers [options]</c> joins 1, 5 and 20 lab workers (JoinWorkersBenchmark);
    /// anything else goes to BenchmarkDotNet (e.g. <c>--filter '*'</c> for the PKI benchmark).
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "probe-script")
        {
            // The probe fleet-preflight runs on each node (for looking at its cost by hand: bash -s < script).
            Console.Write(KubePS.Core.Nodes.NodeProbe.Script(new KubePS.Core.Preflight.KubePreflightRequest().ProbeOptions));
            return 0;
        }
        if (args.Length > 0 && args[0] == "join-workers" && !OperatingSystem.IsWindows())
            return JoinWorkersBenchmark.RunAsync(args[1..]).GetAwaiter().GetResult();
        if (args.Length > 0 && args[0] == "fleet-preflight" && !OperatingSystem.IsWindows())
            return FleetPreflightBenchmark.RunAsync(args[1..]).GetAwaiter().GetResult();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
