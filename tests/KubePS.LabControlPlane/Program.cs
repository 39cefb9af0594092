using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane;

/// <summary>
/// One executable for the lab's control-plane stand-ins. The first argument names the component; the rest are that
/// component's own flags, exactly as kubeadm writes them into static pod manifests and kubeadm-flags.env.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.Error.WriteLine("usage: KubePS.LabControlPlane apiserver|controller-manager|scheduler|kubelet [--flag=value ...]");
            return 2;
        }
        var rest = args[1..];
        try
        {
            return args[0] switch
            {
                "apiserver" or "kube-apiserver" => await ApiServer.ApiServerMain.Run(rest),
                "controller-manager" or "kube-controller-manager" => await ControllerManager.ControllerManagerMain.Run(rest),
                "scheduler" or "kube-scheduler" => await Scheduler.SchedulerMain.Run(rest),
                "kubelet" when OperatingSystem.IsLinux() => await Kubelet.KubeletMain.Run(rest),
                _ => Unknown(args[0]),
            };
        }
        catch (LabException e)
        {
            Log.Error("cannot start: " + e.Message);
            return 1;
        }
    }

    static int Unknown(string c)
    {
        Console.Error.WriteLine($"unknown component \"{c}\": expected apiserver, controller-manager, scheduler or kubelet");
        return 2;
    }
}
