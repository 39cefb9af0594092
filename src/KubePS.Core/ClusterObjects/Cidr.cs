using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace KubePS.Core.ClusterObjects;

/// <summary>
/// An IP network as Go's net.ParseCIDR reads it: host bits are allowed in the text and masked off. Used for the
/// service subnet (the DNS Service takes its 10th address) and the pod subnet.
/// </summary>
sealed class Cidr
{
    Cidr(IPAddress network, int prefix) { Network = network; PrefixLength = prefix; }

    public IPAddress Network { get; }
    public int PrefixLength { get; }
    public bool IsIPv6 => Network.AddressFamily == AddressFamily.InterNetworkV6;
    int Bits => IsIPv6 ? 128 : 32;

    public static bool TryParse(string? text, out Cidr cidr)
    {
        cidr = null!;
        if (string.IsNullOrWhiteSpace(text)) return false;
        int slash = text.IndexOf('/');
        if (slash <= 0 || slash != text.LastIndexOf('/')) return false;
        if (!IPAddress.TryParse(text[..slash], out var ip) || text[..slash].Contains('%')) return false;
        if (ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) return false;
        string p = text[(slash + 1)..];
        if (p.Length == 0 || p.Length > 3 || !p.All(char.IsAsciiDigit)) return false;
        int prefix = int.Parse(p, CultureInfo.InvariantCulture);
        int bits = ip.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (prefix > bits) return false;
        var value = ToInteger(ip) >> (bits - prefix) << (bits - prefix);
        cidr = new Cidr(FromInteger(value, ip.AddressFamily), prefix);
        return true;
    }

    /// <summary>
    /// The address at <paramref name="index"/> from the network address (1 = the apiserver VIP, 10 = the DNS
    /// Service), or null when the network is too small, as kubeadm's GetIndexedIP fails.
    /// </summary>
    public IPAddress? IndexedAddress(int index)
    {
        var size = BigInteger.One << (Bits - PrefixLength);
        if (index < 0 || index >= size) return null;
        return FromInteger(ToInteger(Network) + index, Network.AddressFamily);
    }

    public override string ToString() => $"{Network}/{PrefixLength}";

    static BigInteger ToInteger(IPAddress ip) => new(ip.GetAddressBytes(), isUnsigned: true, isBigEndian: true);

    static IPAddress FromInteger(BigInteger value, AddressFamily family)
    {
        int len = family == AddressFamily.InterNetworkV6 ? 16 : 4;
        var raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var bytes = new byte[len];
        Array.Copy(raw, Math.Max(0, raw.Length - len), bytes, Math.Max(0, len - raw.Length), Math.Min(len, raw.Length));
        return new IPAddress(bytes);
    }
}
