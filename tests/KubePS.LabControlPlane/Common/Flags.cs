namespace KubePS.LabControlPlane.Common;

/// <summary>
/// Command-line flags in the form the real components take them from static pod manifests and kubeadm-flags.env:
/// <c>--name=value</c>, or a bare <c>--name</c> for a boolean true. The last occurrence wins, as with pflag.
/// </summary>
public sealed class Flags
{
    readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public Flags(IEnumerable<string> args)
    {
        foreach (var a in args)
        {
            if (!a.StartsWith("--", StringComparison.Ordinal))
                throw new LabException($"unexpected argument \"{a}\": flags are written --name=value");
            var body = a[2..];
            var eq = body.IndexOf('=');
            if (eq < 0) _values[body] = "true";
            else _values[body[..eq]] = body[(eq + 1)..];
        }
    }

    public IReadOnlyDictionary<string, string> All => _values;

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var v) ? v : null;
    }

    public string Get(string name, string fallback) => Get(name) ?? fallback;

    public string Required(string name) =>
        Get(name) is { Length: > 0 } v ? v : throw new LabException($"flag --{name} is required");

    public bool Bool(string name, bool fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return v.ToLowerInvariant() switch
        {
            "true" or "1" or "t" => true,
            "false" or "0" or "f" => false,
            _ => throw new LabException($"flag --{name}={v}: not a boolean"),
        };
    }

    public int Int(string name, int fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return int.TryParse(v, out var i) ? i : throw new LabException($"flag --{name}={v}: not an integer");
    }

    public TimeSpan Duration(string name, TimeSpan fallback)
    {
        var v = Get(name);
        return v is null ? fallback : ParseDuration(v) ?? throw new LabException($"flag --{name}={v}: not a duration like 40s or 1m30s");
    }

    /// <summary>Go duration syntax: 300ms, 40s, 1m30s, 2h.</summary>
    public static TimeSpan? ParseDuration(string s)
    {
        if (s == "0") return TimeSpan.Zero;
        var m = System.Text.RegularExpressions.Regex.Match(s, @"^((?<n>\d+(\.\d+)?)(?<u>ns|us|µs|ms|s|m|h))+$");
        if (!m.Success) return null;
        double ms = 0;
        for (int i = 0; i < m.Groups["n"].Captures.Count; i++)
        {
            var n = double.Parse(m.Groups["n"].Captures[i].Value, System.Globalization.CultureInfo.InvariantCulture);
            ms += m.Groups["u"].Captures[i].Value switch
            {
                "ns" => n / 1e6, "us" or "µs" => n / 1e3, "ms" => n, "s" => n * 1e3, "m" => n * 60e3, _ => n * 3600e3,
            };
        }
        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>Flags given but never read: logged so that a reader sees what the stand-in ignores.</summary>
    public IEnumerable<string> Unread => _values.Keys.Where(k => !_read.Contains(k)).OrderBy(k => k, StringComparer.Ordinal);
}

/// <summary>A fatal start-up problem: logged as one clear line, then the process exits non-zero.</summary>
public sealed class LabException(string message) : Exception(message);
