namespace KubePS.Core;

/// <summary>
/// The category of a KubePS error. The names match PowerShell's ErrorCategory members, so the cmdlet layer maps them
/// by name without KubePS.Core knowing about PowerShell.
/// </summary>
public enum KubeErrorCategory
{
    NotSpecified,
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    ConnectionError,
    AuthenticationError,
    PermissionDenied,
    OperationTimeout,
    ResourceUnavailable,
    ObjectNotFound,
    ResourceExists,
    SecurityError,
    NotImplemented,
    OperationStopped,
    WriteError,
    ReadError,
}

/// <summary>
/// The one exception type KubePS.Core throws for expected failures. <see cref="ErrorId"/> is stable (Area.Reason,
/// e.g. <c>Config.OverlappingSubnets</c>) so that scripts can branch on it; the message names the offending value
/// and what would be valid. Never put secret material in any property: Get-Error lists every public property.
/// </summary>
public class KubeException : Exception
{
    public KubeException(string errorId, string message, KubeErrorCategory category = KubeErrorCategory.InvalidArgument,
        object? target = null, string? recommendedAction = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
        RecommendedAction = recommendedAction;
    }

    /// <summary>Stable identifier, Area.Reason.</summary>
    public string ErrorId { get; }

    public KubeErrorCategory Category { get; }

    /// <summary>The object the error is about (a node, a file, a configuration value).</summary>
    public object? Target { get; }

    /// <summary>What the user can do about it.</summary>
    public string? RecommendedAction { get; }
}

/// <summary>Several independent errors found at once (e.g. every validation failure of one configuration).</summary>
public sealed class KubeAggregateException : KubeException
{
    public KubeAggregateException(IReadOnlyList<KubeException> errors)
        : base(errors[0].ErrorId, errors.Count == 1 ? errors[0].Message : $"{errors.Count} errors: " + string.Join(" | ", errors.Select(e => e.Message)),
            errors[0].Category, errors[0].Target, errors[0].RecommendedAction)
    {
        Errors = errors;
    }

    public IReadOnlyList<KubeException> Errors { get; }
}
