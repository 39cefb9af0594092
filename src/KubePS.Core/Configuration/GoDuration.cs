using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace KubePS.Core.Configuration;

/// <summary>
/// Go's duration text as Kubernetes APIs use it (metav1.Duration): <c>4m0s</c>, <c>24h</c>, <c>1h30m</c>, <c>300ms</c>,
/// <c>1.5h</c>. Units ns, us (µs), ms, s, m, h; an optional sign; <c>0</c> alone.
/// </summary>
public static partial class GoDuration
{
    [GeneratedRegex(@"^(?<num>[0-9]*(?:\.[0-9]*)?)(?<unit>ns|us|µs|μs|ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text)) return false;
        string s = text;
        bool negative = false;
        if (s[0] is '+' or '-') { negative = s[0] == '-'; s = s[1..]; }
        if (s == "0") return true;
        if (s.Length == 0) return false;
        decimal ticks = 0;
        while (s.Length > 0)
        {
            var m = Part().Match(s);
            if (!m.Success) return false;
            string num = m.Groups["num"].Value;
            if (num.Length == 0 || num == ".") return false;
            if (!decimal.TryParse(num, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return false;
            decimal unit = m.Groups["unit"].Value switch
            {
                "ns" => 0.01m,
                "us" or "µs" or "μs" => 10m,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
            ticks += n * unit;
            if (ticks > TimeSpan.MaxValue.Ticks) return false;
            s = s[m.Length..];
        }
        value = TimeSpan.FromTicks((long)decimal.Round(ticks) * (negative ? -1 : 1));
        return true;
    }

    /// <summary>Parses or throws <c>Config.InvalidDuration</c> naming the field and the value.</summary>
    public static TimeSpan Parse(string text, string field)
    {
        if (TryParse(text, out var v)) return v;
        throw new KubeException("Config.InvalidDuration",
            $"{field}: '{text}' is not a duration. Valid forms are Go durations such as 4m0s, 24h0m0s, 90s or 8760h.",
            KubeErrorCategory.InvalidArgument, text, "Write the duration as a number with a unit (h, m, s, ms).");
    }

    /// <summary>Go's canonical text for a duration (<c>87600h0m0s</c>, <c>4m0s</c>, <c>1.5s</c>), as kubeadm writes it.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero) return "0s";
        var sb = new StringBuilder();
        long ticks = value.Ticks;
        if (ticks < 0) { sb.Append('-'); ticks = -ticks; }
        if (ticks < TimeSpan.TicksPerSecond)
        {
            // Go prints sub-second durations in the largest unit below a second.
            if (ticks % TimeSpan.TicksPerMillisecond == 0) return sb.Append(ticks / TimeSpan.TicksPerMillisecond).Append("ms").ToString();
            return sb.Append((ticks / 10m).ToString(CultureInfo.InvariantCulture)).Append("µs").ToString();
        }
        long hours = ticks / TimeSpan.TicksPerHour; ticks %= TimeSpan.TicksPerHour;
        long minutes = ticks / TimeSpan.TicksPerMinute; ticks %= TimeSpan.TicksPerMinute;
        decimal seconds = ticks / (decimal)TimeSpan.TicksPerSecond;
        if (hours > 0) sb.Append(hours).Append('h');
        if (hours > 0 || minutes > 0) sb.Append(minutes).Append('m');
        sb.Append(seconds.ToString("0.#######", CultureInfo.InvariantCulture)).Append('s');
        return sb.ToString();
    }
}
