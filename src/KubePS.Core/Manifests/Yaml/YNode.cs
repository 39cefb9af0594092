using System.Globalization;
using System.Text;

namespace KubePS.Core.Manifests.Yaml;

/// <summary>
/// A YAML value as Go's JSON → YAML path (sigs.k8s.io/yaml over go-yaml v2) sees it: a map, a list or a typed scalar.
/// Maps keep keys unordered; the emitter sorts them the way go-yaml v2 sorts map keys.
/// </summary>
internal abstract class YNode
{
    public abstract YNode Clone();
}

internal enum YScalarKind { String, Int, Float, Bool, Null }

internal sealed class YScalar : YNode
{
    YScalar(YScalarKind kind, string text) { Kind = kind; Text = text; }

    public YScalarKind Kind { get; }

    /// <summary>The scalar as Go would print it (for strings, the string itself).</summary>
    public string Text { get; }

    public static YScalar Str(string s) => new(YScalarKind.String, s);
    public static YScalar Int(long v) => new(YScalarKind.Int, v.ToString(CultureInfo.InvariantCulture));
    public static YScalar Bool(bool v) => new(YScalarKind.Bool, v ? "true" : "false");
    public static YScalar Null() => new(YScalarKind.Null, "null");
    public static YScalar Typed(YScalarKind kind, string text) => new(kind, text);

    public override YNode Clone() => this;
    public override string ToString() => Text;
}

internal sealed class YList : YNode
{
    public YList() { }
    public YList(IEnumerable<YNode> items) => Items.AddRange(items);

    public List<YNode> Items { get; } = [];

    public YList Add(YNode n) { Items.Add(n); return this; }
    public override YNode Clone() => new YList(Items.Select(i => i.Clone()));
}

internal sealed class YMap : YNode
{
    readonly Dictionary<string, YNode> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;
    public IEnumerable<string> Keys => _entries.Keys;

    public YNode? this[string key]
    {
        get => _entries.TryGetValue(key, out var v) ? v : null;
        set { if (value is null) _entries.Remove(key); else _entries[key] = value; }
    }

    public bool Contains(string key) => _entries.ContainsKey(key);
    public bool Remove(string key) => _entries.Remove(key);

    public YMap Set(string key, YNode value) { _entries[key] = value; return this; }
    public YMap Set(string key, string value) => Set(key, YScalar.Str(value));
    public YMap Set(string key, long value) => Set(key, YScalar.Int(value));
    public YMap Set(string key, bool value) => Set(key, YScalar.Bool(value));

    /// <summary>The child map under <paramref name="key"/>, created when absent.</summary>
    public YMap Map(string key)
    {
        if (_entries.TryGetValue(key, out var v) && v is YMap m) return m;
        var created = new YMap();
        _entries[key] = created;
        return created;
    }

    /// <summary>Entries in go-yaml v2's key order.</summary>
    public IEnumerable<KeyValuePair<string, YNode>> Sorted() => _entries.OrderBy(e => e.Key, GoYamlKeyComparer.Instance);

    public override YNode Clone()
    {
        var m = new YMap();
        foreach (var (k, v) in _entries) m._entries[k] = v.Clone();
        return m;
    }
}

/// <summary>
/// go-yaml v2's map-key order: runs of digits compare as numbers, a letter sorts after a non-letter, letters compare by
/// code point, and a shorter key that is a prefix of a longer one comes first.
/// </summary>
internal sealed class GoYamlKeyComparer : IComparer<string>
{
    public static readonly GoYamlKeyComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        if (Less(x, y)) return -1;
        if (Less(y, x)) return 1;
        return string.CompareOrdinal(x, y);
    }

    static bool Less(string a, string b)
    {
        var ar = a.EnumerateRunes().ToArray();
        var br = b.EnumerateRunes().ToArray();
        for (int i = 0; i < ar.Length && i < br.Length; i++)
        {
            if (ar[i] == br[i]) continue;
            bool al = Rune.IsLetter(ar[i]), bl = Rune.IsLetter(br[i]);
            if (al && bl) return ar[i].Value < br[i].Value;
            if (al || bl) return bl;
            long an = 0, bn = 0;
            if (ar[i].Value == '0' || br[i].Value == '0')
            {
                for (int j = i - 1; j >= 0 && Rune.IsDigit(ar[j]); j--)
                {
                    if (ar[j].Value != '0') { an = 1; bn = 1; break; }
                }
            }
            int ai = i, bi = i;
            for (; ai < ar.Length && Rune.IsDigit(ar[ai]); ai++) an = an * 10 + (ar[ai].Value - '0');
            for (; bi < br.Length && Rune.IsDigit(br[bi]); bi++) bn = bn * 10 + (br[bi].Value - '0');
            if (an != bn) return an < bn;
            if (ai != bi) return ai < bi;
            return ar[i].Value < br[i].Value;
        }
        return ar.Length < br.Length;
    }
}
