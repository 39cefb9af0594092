using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace KubePS.Core.Configuration;

/// <summary>
/// A bootstrap token <c>id.secret</c> (kubeadm-facts.md §5.3: <c>^[a-z0-9]{6}\.[a-z0-9]{16}$</c>). Only <see cref="Id"/>
/// is public; <see cref="ToString"/> prints <c>abcdef.&lt;redacted&gt;</c>, and no error message ever contains the secret.
/// Code that must hand the full token to a node or the API server calls <see cref="Reveal"/>.
/// </summary>
public sealed partial class BootstrapTokenString : IEquatable<BootstrapTokenString>
{
    readonly string _secret;

    BootstrapTokenString(string id, string secret) { Id = id; _secret = secret; }

    [GeneratedRegex(@"^([a-z0-9]{6})\.([a-z0-9]{16})$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^[a-z0-9]{6}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    /// <summary>The public token id (the part before the dot); the Secret in the cluster is named bootstrap-token-&lt;id&gt;.</summary>
    public string Id { get; }

    /// <summary>The secret part, for Core code that writes the token Secret or a join configuration.</summary>
    internal string Secret => _secret;

    /// <summary>The whole token, id.secret. Treat the result as a secret: never log or display it.</summary>
    public string Reveal() => $"{Id}.{_secret}";

    public static bool TryParse(string? text, out BootstrapTokenString token)
    {
        token = null!;
        if (text is null) return false;
        var m = Pattern().Match(text);
        if (!m.Success) return false;
        token = new BootstrapTokenString(m.Groups[1].Value, m.Groups[2].Value);
        return true;
    }

    /// <summary>
    /// Parses a token or throws <c>Config.InvalidToken</c>. The message names the id part only when it is a well-formed
    /// id (it is public), otherwise only the length: never the secret.
    /// </summary>
    public static BootstrapTokenString Parse(string? text, string field = "token")
    {
        if (TryParse(text, out var t)) return t;
        throw Invalid(text, field);
    }

    internal static KubeException Invalid(string? text, string field)
    {
        string what;
        int dot = text?.IndexOf('.') ?? -1;
        if (text is null || text.Length == 0) what = "is empty";
        else if (dot >= 0 && IdPattern().IsMatch(text[..dot]))
            what = $"with id '{text[..dot]}' has a secret part of {text.Length - dot - 1} characters, not 16 of [a-z0-9]";
        else
            what = $"({text.Length} characters) is not of the form <6 of [a-z0-9]>.<16 of [a-z0-9]>";
        return new KubeException("Config.InvalidToken",
            $"{field}: the bootstrap token {what}. A valid token looks like abcdef.0123456789abcdef.",
            KubeErrorCategory.InvalidArgument, field,
            "Use a token of that form (kubeadm token generate prints one), or leave the field out to have one generated.");
    }

    /// <summary>A new random token from [a-z0-9] with a cryptographic RNG, as kubeadm generates them.</summary>
    public static BootstrapTokenString Generate()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        string Random(int n) => RandomNumberGenerator.GetString(alphabet, n);
        return new BootstrapTokenString(Random(6), Random(16));
    }

    public bool Equals(BootstrapTokenString? other) =>
        other is not null && Id == other.Id && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(_secret), System.Text.Encoding.ASCII.GetBytes(other._secret));

    public override bool Equals(object? obj) => obj is BootstrapTokenString t && Equals(t);
    public override int GetHashCode() => Id.GetHashCode(StringComparison.Ordinal);

    /// <summary><c>abcdef.&lt;redacted&gt;</c>.</summary>
    public override string ToString() => $"{Id}.<redacted>";
}
