using System.Globalization;

namespace KubePS.Core.Configuration;

/// <summary>
/// A YAML value kept as written: the form in which KubePS holds documents it passes through without a typed model
/// (KubeletConfiguration, KubeProxyConfiguration, v1beta4 ResetConfiguration/UpgradeConfiguration, env valueFrom).
/// It is KubePS's own type so that nothing outside KubePS.Core needs YamlDotNet. <see cref="Line"/> and
/// <see cref="Column"/> are 1-based positions in the source file (0 for nodes built in code).
/// </summary>
public abstract class ConfigNode
{
    public int Line { get; internal set; }
    public int Column { get; internal set; }

    /// <summary>A copy that shares nothing with this node.</summary>
    public abstract ConfigNode DeepClone();

    /// <summary>Structural equality (keys in any order for mappings, scalars by text and by being a string or not).</summary>
    public abstract bool DeepEquals(ConfigNode? other);
}

/// <summary>
/// A scalar. <see cref="Quoted"/> records that the value is certainly a string (it was quoted in the source or built as
/// a string); a plain scalar keeps YAML's own typing (<c>true</c>, <c>10</c>, <c>null</c>) when written again.
/// </summary>
public sealed class ConfigScalar : ConfigNode
{
    public ConfigScalar(string value, bool quoted) { Value = value; Quoted = quoted; }

    public string Value { get; }
    public bool Quoted { get; }

    /// <summary>A string value: written plain when that reads back as the same string, quoted otherwise.</summary>
    public static ConfigScalar String(string value) => new(value, true);

    /// <summary>A YAML number, boolean or null written as is (plain).</summary>
    public static ConfigScalar Plain(string value) => new(value, false);

    public static ConfigScalar Bool(bool value) => Plain(value ? "true" : "false");
    public static ConfigScalar Int(long value) => Plain(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>A plain empty, <c>~</c> or <c>null</c> scalar.</summary>
    public bool IsNull => !Quoted && Value is "" or "~" or "null" or "Null" or "NULL";

    public override ConfigNode DeepClone() => new ConfigScalar(Value, Quoted) { Line = Line, Column = Column };

    public override bool DeepEquals(ConfigNode? other) =>
        other is ConfigScalar s && ((IsNull && s.IsNull) ||
            (s.Value == Value && (s.Quoted == Quoted || (!YamlScalars.NeedsQuotes(Value) && Value.Length > 0))));

    public override string ToString() => Value;
}

/// <summary>A sequence of nodes.</summary>
public sealed class ConfigSequence : ConfigNode
{
    public ConfigSequence() { }
    public ConfigSequence(IEnumerable<ConfigNode> items) => Items.AddRange(items);

    public List<ConfigNode> Items { get; } = [];

    public override ConfigNode DeepClone() => new ConfigSequence(Items.Select(i => i.DeepClone())) { Line = Line, Column = Column };

    public override bool DeepEquals(ConfigNode? other) =>
        other is ConfigSequence s && s.Items.Count == Items.Count && Items.Zip(s.Items).All(p => p.First.DeepEquals(p.Second));

    public override string ToString() => $"[{Items.Count} items]";
}

/// <summary>A mapping with string keys that keeps the order of its entries.</summary>
public sealed class ConfigMapping : ConfigNode
{
    readonly List<KeyValuePair<string, ConfigNode>> _entries = [];

    public IReadOnlyList<KeyValuePair<string, ConfigNode>> Entries => _entries;
    public IEnumerable<string> Keys => _entries.Select(e => e.Key);
    public int Count => _entries.Count;

    /// <summary>Gets the node for a key, or null; setting replaces the entry in place or appends it.</summary>
    public ConfigNode? this[string key]
    {
        get => TryGet(key, out var n) ? n : null;
        set
        {
            int i = _entries.FindIndex(e => e.Key == key);
            if (value is null) { if (i >= 0) _entries.RemoveAt(i); return; }
            if (i >= 0) _entries[i] = new(key, value);
            else _entries.Add(new(key, value));
        }
    }

    public bool TryGet(string key, out ConfigNode node)
    {
        foreach (var e in _entries)
            if (e.Key == key) { node = e.Value; return true; }
        node = null!;
        return false;
    }

    public bool Remove(string key) => _entries.RemoveAll(e => e.Key == key) > 0;

    /// <summary>The scalar text at a key, or null when absent, null or not a scalar.</summary>
    public string? GetString(string key) => this[key] is ConfigScalar s && !s.IsNull ? s.Value : null;

    public override ConfigNode DeepClone()
    {
        var m = new ConfigMapping { Line = Line, Column = Column };
        foreach (var e in _entries) m._entries.Add(new(e.Key, e.Value.DeepClone()));
        return m;
    }

    public override bool DeepEquals(ConfigNode? other)
    {
        if (other is not ConfigMapping m || m.Count != Count) return false;
        foreach (var e in _entries)
            if (!m.TryGet(e.Key, out var v) || !e.Value.DeepEquals(v)) return false;
        return true;
    }

    public override string ToString() => $"{{{Count} entries}}";
}

/// <summary>YAML scalar typing rules shared by the reader and the writer.</summary>
internal static class YamlScalars
{
    static readonly HashSet<string> Words = new(StringComparer.OrdinalIgnoreCase)
    {
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "=", "<<",
        ".inf", "+.inf", "-.inf", ".nan",
    };

    // YAML 1.1 (PyYAML, go-yaml v2) and 1.2 core schema numbers, sexagesimals and timestamps.
    static readonly System.Text.RegularExpressions.Regex NumberLike = new(
        @"^(?:[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?)" +
        @"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?)$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>True when the text, written plain, would not read back as a string.</summary>
    public static bool NeedsQuotes(string text) =>
        text.Length == 0 || Words.Contains(text) || NumberLike.IsMatch(text) || text != text.Trim();
}
