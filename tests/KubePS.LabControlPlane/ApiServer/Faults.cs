using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>
/// Injected failures for the lab: while a fault is active, matching requests get its HTTP code (500, 429, 503...)
/// with a Status body instead of being served. Set through POST /lab/faults (authorized like any non-resource URL, so
/// only cluster admins can) or through the JSON file given by --lab-fault-file, active while the file exists.
/// JSON: {"code":500,"durationSeconds":10,"count":3,"pathPrefix":"/api","retryAfterSeconds":1,"methods":["GET"]}.
/// </summary>
public sealed class Faults(string? faultFile)
{
    public sealed class Fault
    {
        public int Code { get; init; } = 500;
        public DateTime? Until { get; init; }
        public int? Remaining { get; set; }
        public string PathPrefix { get; init; } = "/api";
        public int RetryAfterSeconds { get; init; } = 1;
        public string[] Methods { get; init; } = [];
        public string Message { get; init; } = "";

        public JsonObject ToJson() => new()
        {
            ["code"] = Code, ["until"] = Until?.ToString("o"), ["remaining"] = Remaining, ["pathPrefix"] = PathPrefix,
            ["retryAfterSeconds"] = RetryAfterSeconds, ["methods"] = J.Strings(Methods), ["message"] = Message,
        };

        public static Fault Parse(JsonObject o)
        {
            var code = (int)(o.Long("code") ?? 500);
            if (code < 400 || code > 599) throw ApiError.BadRequest($"fault code {code}: must be 4xx or 5xx");
            var dur = o.Long("durationSeconds");
            return new Fault
            {
                Code = code, Until = dur is null ? null : DateTime.UtcNow.AddSeconds(dur.Value), Remaining = (int?)o.Long("count"),
                PathPrefix = o.Str("pathPrefix") ?? "/api", RetryAfterSeconds = (int)(o.Long("retryAfterSeconds") ?? 1),
                Methods = o.Arr("methods").StringItems().Select(m => m.ToUpperInvariant()).ToArray(), Message = o.Str("message") ?? "",
            };
        }
    }

    readonly List<Fault> _faults = [];
    readonly object _gate = new();
    Fault? _fileFault;
    DateTime _fileStamp;

    public void Add(Fault f) { lock (_gate) _faults.Add(f); }
    public void Clear() { lock (_gate) _faults.Clear(); }

    public JsonArray List()
    {
        lock (_gate) return J.ToArray(_faults.Select(f => (JsonNode)f.ToJson()).Concat(FileFault() is { } ff ? [ff.ToJson()] : []));
    }

    Fault? FileFault()
    {
        if (faultFile is null) return null;
        try
        {
            if (!File.Exists(faultFile)) { _fileFault = null; return null; }
            var stamp = File.GetLastWriteTimeUtc(faultFile);
            if (_fileFault is null || stamp != _fileStamp)
            {
                _fileStamp = stamp;
                var text = File.ReadAllText(faultFile);
                _fileFault = Fault.Parse(text.Trim().Length == 0 ? new JsonObject() : Yaml.ParseObject(text, faultFile));
            }
            return _fileFault;
        }
        catch (Exception e) when (e is IOException or FormatException or ApiError or System.Text.Json.JsonException)
        {
            Log.Warn($"--lab-fault-file {faultFile}: {e.Message}");
            return null;
        }
    }

    /// <summary>The fault to answer this request with, if any (consumes one from counted faults).</summary>
    public Fault? Match(string method, string path)
    {
        if (path.StartsWith("/lab/", StringComparison.Ordinal) || path == "/lab") return null;
        lock (_gate)
        {
            _faults.RemoveAll(f => (f.Until is { } u && u <= DateTime.UtcNow) || f.Remaining <= 0);
            foreach (var f in _faults.Append(FileFault()).OfType<Fault>())
            {
                if (!path.StartsWith(f.PathPrefix, StringComparison.Ordinal)) continue;
                if (f.Methods.Length > 0 && !f.Methods.Contains(method)) continue;
                if (f.Remaining is not null) f.Remaining--;
                return f;
            }
        }
        return null;
    }
}
