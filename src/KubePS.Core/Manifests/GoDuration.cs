using System.Globalization;
using System.Text;

namespace KubePS.Core.Manifests;

/// <summary>
/// Go's time.Duration text form, as metav1.Duration fields are read and written: <c>ParseDuration("90s")</c> then
/// <c>String()</c> gives <c>1m30s</c>. KubeletConfiguration durations are written back in this normalized form.
/// </summary>
internal static class GoDuration
{
    static readonly (string Unit, long Nanos)[] Units =
    [
        ("ns", 1L), ("us", 1_000L), ("\u00b5s", 1_000L), ("\u03bcs", 1_000L), ("ms", 1_000_000L),
        ("s", 1_000_000_000L), ("m", 60_000_000_000L), ("h", 3_600_000_000_000L),
    ];

    /// <summary>time.ParseDuration: a sequence of decimal numbers with optional fraction and a unit, optionally signed; "0" alone is allowed.</summary>
    public static bool TryParse(string s, out long nanos)
    {
        nanos = 0;
        if (string.IsNullOrEmpty(s)) return false;
        int i = 0;
        bool neg = false;
        if (s[0] is '-' or '+') { neg = s[0] == '-'; i++; }
        if (s[i..] == "0") return true;
        if (i >= s.Length) return false;
        decimal total = 0;
        while (i < s.Length)
        {
            int start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            bool hasInt = i > start;
            decimal value = hasInt ? decimal.Parse(s[start..i], CultureInfo.InvariantCulture) : 0;
            bool hasFrac = false;
            if (i < s.Length && s[i] == '.')
            {
                i++;
                int fs = i;
                while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                hasFrac = i > fs;
                if (hasFrac) value += decimal.Parse("0." + s[fs..i], CultureInfo.InvariantCulture);
            }
            if (!hasInt && !hasFrac) return false;
            int us = i;
            while (i < s.Length && s[i] != '.' && !char.IsAsciiDigit(s[i])) i++;
            string unit = s[us..i];
            long mult = 0;
            foreach (var (u, n) in Units) if (u == unit) mult = n;
            if (mult == 0) return false;
            total += value * mult;
            if (total > long.MaxValue) return false;
        }
        nanos = (long)Math.Truncate(total) * (neg ? -1 : 1);
        return true;
    }

    /// <summary>time.Duration.String().</summary>
    public static string Format(long d)
    {
        if (d == 0) return "0s";
        bool neg = d < 0;
        ulong u = neg ? (ulong)(-(d + 1)) + 1 : (ulong)d;
        var sb = new StringBuilder();
        if (u < 1_000_000_000UL)
        {
            // Sub-second: ns, µs or ms with a fraction.
            int prec;
            string unit;
            if (u < 1_000UL) { prec = 0; unit = "ns"; }
            else if (u < 1_000_000UL) { prec = 3; unit = "\u00b5s"; }
            else { prec = 6; unit = "ms"; }
            sb.Append(Fraction(u, prec, out u));
            sb.Insert(0, u.ToString(CultureInfo.InvariantCulture));
            sb.Append(unit);
        }
        else
        {
            string frac = Fraction(u, 9, out u); // u now whole seconds
            ulong secs = u % 60; u /= 60;
            var text = new StringBuilder();
            text.Append(secs.ToString(CultureInfo.InvariantCulture)).Append(frac).Append('s');
            if (u > 0)
            {
                ulong mins = u % 60; u /= 60;
                text.Insert(0, mins.ToString(CultureInfo.InvariantCulture) + "m");
                if (u > 0) text.Insert(0, u.ToString(CultureInfo.InvariantCulture) + "h");
            }
            sb.Append(text);
        }
        if (neg) sb.Insert(0, '-');
        return sb.ToString();
    }

    /// <summary>The fractional part of v / 10^prec as ".ddd" without trailing zeros (empty if zero); <paramref name="whole"/> gets the integer part.</summary>
    static string Fraction(ulong v, int prec, out ulong whole)
    {
        ulong pow = 1;
        for (int i = 0; i < prec; i++) pow *= 10;
        whole = v / pow;
        ulong f = v % pow;
        if (prec == 0 || f == 0) return "";
        string digits = f.ToString(CultureInfo.InvariantCulture).PadLeft(prec, '0').TrimEnd('0');
        return "." + digits;
    }
}
