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

    /// <summary>A value safe for a one-line description (no control characters).</summary>
    public static string OneLine(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value) sb.Append(char.IsControl(c) ? ' ' : c);
        return sb.ToString();
    }
}
