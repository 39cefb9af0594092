namespace KubePS.Core;

/// <summary>
/// One answer of a lookup by name (Get-KubeNode -Name, Get-KubeBootstrapToken -Id): the object found, or the error
/// (ObjectNotFound) for a name that found nothing. The cmdlet writes the object to the output and the error as a
/// non-terminating error, in this order.
/// </summary>
public readonly record struct KubeLookup<T>(T? Found, KubeException? Error) where T : class
{
    public static KubeLookup<T> Of(T found) => new(found, null);
    public static KubeLookup<T> Missing(KubeException error) => new(null, error);
}
