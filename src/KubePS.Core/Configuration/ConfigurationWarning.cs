namespace KubePS.Core.Configuration;

/// <summary>
/// Something in a configuration file that is accepted but probably not what was meant: today an unknown field in a
/// KubeletConfiguration or KubeProxyConfiguration. kubeadm init/join decode these documents strictly and print each
/// problem as a warning, then go on; KubePS does the same (Import-KubeadmConfiguration writes them with
/// WriteWarning).
/// </summary>
public sealed record ConfigurationWarning
{
    /// <summary>A stable id, <c>Config.UnknownComponentField</c>.</summary>
    public required string WarningId { get; init; }

    /// <summary>The document kind (KubeletConfiguration, KubeProxyConfiguration).</summary>
    public required string Kind { get; init; }

    /// <summary>The document's apiVersion.</summary>
    public required string ApiVersion { get; init; }

    /// <summary>The field with the document kind in front, e.g. <c>KubeletConfiguration.authentication.webhook.cacheTTLx</c>.</summary>
    public required string FieldPath { get; init; }

    /// <summary>1-based line and column of the field name in the source.</summary>
    public required int Line { get; init; }
    public required int Column { get; init; }

    /// <summary>The file (or other source name) the document came from.</summary>
    public required string Source { get; init; }

    /// <summary>The known field the name most likely meant (same name in another case, or one edit away), or null.</summary>
    public string? Suggestion { get; init; }

    /// <summary>The whole warning as one sentence, as the cmdlets write it.</summary>
    public required string Message { get; init; }

    public override string ToString() => Message;
}
