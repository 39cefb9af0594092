using KubePS.Core.Configuration;

namespace KubePS.Core.Bootstrap;

/// <summary>
/// A bootstrap token as it is stored in the cluster (Secret kube-system/bootstrap-token-&lt;id&gt;): the token, when it
/// expires, what it may be used for and the groups it authenticates as. The secret half is never shown:
/// <see cref="ToString"/> prints <c>abcdef.&lt;redacted&gt;</c> and no property holds it; <see cref="Reveal"/> hands it
/// on (to a join, or to a person who asked for it).
/// </summary>
public sealed class KubeBootstrapToken
{
    public KubeBootstrapToken(BootstrapTokenString token, DateTimeOffset? expires, IReadOnlyList<string> usages, IReadOnlyList<string> groups, string? description)
    {
        ArgumentNullException.ThrowIfNull(token);
        Token = token;
        Expires = expires;
        Usages = usages;
        Groups = groups;
        Description = description;
    }

    /// <summary>The public token id (the Secret is bootstrap-token-&lt;Id&gt;).</summary>
    public string Id => Token.Id;

    /// <summary>The token (id.secret); its ToString is redacted.</summary>
    public BootstrapTokenString Token { get; }

    /// <summary>When the token expires (UTC), or null when it never does.</summary>
    public DateTimeOffset? Expires { get; }

    /// <summary>signing and/or authentication.</summary>
    public IReadOnlyList<string> Usages { get; }

    /// <summary>Extra groups the token authenticates as.</summary>
    public IReadOnlyList<string> Groups { get; }

    public string? Description { get; }

    /// <summary>The whole token, id.secret. Treat it as a secret.</summary>
    public string Reveal() => Token.Reveal();

    /// <summary><c>abcdef.&lt;redacted&gt;</c>.</summary>
    public override string ToString() => Token.ToString();
}
