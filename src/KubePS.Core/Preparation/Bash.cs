using System.Text;

namespace KubePS.Core.Preparation;

/// <summary>Helpers for putting values into bash scripts safely.</summary>
internal static class Bash
{
    /// <summary>Single-quotes a value for bash: <c>it's</c> becomes <c>'it'\''s'</c>. Safe for any byte except NUL.</summary>
    public static string Quote(string value)
    {
        if (value.Contains('\0')) throw new ArgumentException("a shell value cannot contain NUL", nameof(value));
        return "'" + value.Replace("'", "'\\''") + "'";
    }

    /// <summary>Quotes each value and joins them with spaces.</summary>
    public static string QuoteAll(IEnumerable<string> values) => string.Join(' ', values.Select(Quote));

    /// <summary>Normalises line endings to LF, the only ones bash accepts.</summary>
    public static string Lf(string script) => script.Replace("\r\n", "\n");

    /// <summary>
    /// A bash line setting <c>end</c> to the value of <c>$SECONDS</c> at which a wait of <paramref name="timeout"/> is
    /// over (test it with <c>[ $SECONDS -ge $end ]</c>). <c>$SECONDS</c> counts whole seconds since the shell started,
    /// so it can tick within a moment of starting; one second more makes sure the wait is never shorter than asked.
    /// </summary>
    public static string Deadline(TimeSpan timeout) =>
        $"end=$((SECONDS+{(int)Math.Ceiling(timeout.TotalSeconds) + 1}))\n";

    /// <summary>A value safe for a one-line description (no control characters).</summary>
    public static string OneLine(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value) sb.Append(char.IsControl(c) ? ' ' : c);
        return sb.ToString();
    }
}
