using Xunit;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;

namespace KubePS.Tests.Pki;

/// <summary>Generated sets per version, made once per test run (RSA key generation is slow) and written to disk.</summary>
public sealed class PkiFixture : IDisposable
{
    readonly Dictionary<string, (KubePki Pki, string Dir, PkiRequest Request)> _sets = new();
    readonly TempDir _temp = new();
    readonly object _lock = new();

    public (KubePki Pki, string Dir, PkiRequest Request) Get(string version, string nodeName = "node-a1", string advertise = "10.0.1.171")
    {
        lock (_lock)
        {
            var key = $"{version}/{nodeName}/{advertise}";
            if (_sets.TryGetValue(key, out var s)) return s;
            var request = new PkiRequest
            {
                NodeName = nodeName,
                AdvertiseAddress = advertise,
                KubernetesVersion = KubeVersion.Parse(version),
            };
            var pki = KubePkiBuilder.Create(request);
            var dir = Path.Combine(_temp.Path, key.Replace('/', '_'));
            pki.Export(dir);
            _sets[key] = (pki, dir, request);
            return _sets[key];
        }
    }

    public void Dispose() => _temp.Dispose();
}

[CollectionDefinition("pki")]
public sealed class PkiCollection : ICollectionFixture<PkiFixture>;
