namespace KubePS.LabControlPlane.Common;

/// <summary>klog-like lines on stderr: <c>I1122 10:00:00.123456 apiserver] message</c>.</summary>
public static class Log
{
    static readonly object _gate = new();
    public static string Component { get; set; } = "lab";
    public static bool Verbose { get; set; } = Environment.GetEnvironmentVariable("LAB_VERBOSE") == "1";

    public static void Info(string msg) => Write('I', msg);
    public static void Warn(string msg) => Write('W', msg);
    public static void Error(string msg) => Write('E', msg);
    public static void Debug(string msg) { if (Verbose) Write('D', msg); }

    static void Write(char level, string msg)
    {
        var now = DateTime.Now;
        lock (_gate)
            Console.Error.WriteLine($"{level}{now:MMdd HH:mm:ss.ffffff} {Component}] {msg}");
    }
}
